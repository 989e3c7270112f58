package server

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/classer-ai/classer-batch/store"
)

// usageBook gathers real-time usage in memory and writes it to the store in one
// transaction per flush: booking each call in its own transaction would make every
// request wait for a disk sync and cap requests per second at the disk's sync rate.
// There is no background goroutine: the first request after the interval flushes
// (one request a second pays a sync), reads of usage flush first so figures always
// add up, and Server.Close flushes at shutdown. A crash loses at most one interval.
type usageBook struct {
	write    func(context.Context, []store.UsageDelta) error
	interval time.Duration

	mu        sync.Mutex
	pending   map[usageSlot]store.Usage
	lastFlush time.Time
	flushing  bool
}

type usageSlot struct {
	account string
	day     string // UTC date, store.DateLayout
}

func newUsageBook(write func(context.Context, []store.UsageDelta) error, interval time.Duration) *usageBook {
	return &usageBook{write: write, interval: interval, pending: map[usageSlot]store.Usage{}}
}

// due reports whether the caller should flush now, and claims the flush if so.
func (b *usageBook) due(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.flushing || now.Sub(b.lastFlush) < b.interval || len(b.pending) == 0 {
		return false
	}
	b.flushing = true
	return true
}

func (b *usageBook) add(account string, at time.Time, u store.Usage) {
	slot := usageSlot{account: account, day: at.UTC().Format(store.DateLayout)}
	b.mu.Lock()
	p := b.pending[slot]
	p.Requests += u.Requests
	p.RealtimeTokens += u.RealtimeTokens
	p.BatchLines += u.BatchLines
	p.BatchTokens += u.BatchTokens
	p.Jobs += u.Jobs
	b.pending[slot] = p
	b.mu.Unlock()
}

// flush writes what is pending. On failure the counts are put back, to be written
// by the next flush.
func (b *usageBook) flush(ctx context.Context) error {
	b.mu.Lock()
	taken := b.pending
	b.pending = map[usageSlot]store.Usage{}
	b.lastFlush = time.Now()
	b.flushing = false
	b.mu.Unlock()
	if len(taken) == 0 {
		return nil
	}

	deltas := make([]store.UsageDelta, 0, len(taken))
	for slot, u := range taken {
		day, _ := time.Parse(store.DateLayout, slot.day)
		deltas = append(deltas, store.UsageDelta{Account: slot.account, Day: day, Usage: u})
	}
	// A fixed order keeps the transaction's writes deterministic.
	sort.Slice(deltas, func(i, j int) bool {
		if deltas[i].Account != deltas[j].Account {
			return deltas[i].Account < deltas[j].Account
		}
		return deltas[i].Day.Before(deltas[j].Day)
	})
	if err := b.write(ctx, deltas); err != nil {
		for _, d := range deltas {
			b.add(d.Account, d.Day, d.Usage)
		}
		return fmt.Errorf("record usage: %w", err)
	}
	return nil
}
