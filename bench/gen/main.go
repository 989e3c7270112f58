// Command gen writes a deterministic NDJSON corpus of English support tickets and news
// snippets for the benchmarks: lines of varying length (a few words to a few paragraphs),
// string and numeric ids, unicode (accents, curly quotes, emoji, a little CJK) and JSON
// escapes (\n, \", \\, \u00e9, surrogate pairs).
//
//	go run ./bench/gen -size 1G -seed 1 > corpus.ndjson
//	go run ./bench/gen -size 100M -plain > corpus.txt   # the same texts, one per line, no JSON
//
// -plain writes each text on one line with newlines turned into spaces (what fastText's
// predict-prob reads). The same -seed and -size always give the same bytes, and the same
// -seed gives the same texts in both forms (-size counts the bytes of the form written, so
// give the plain run the line count with -lines to match exactly).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

var (
	subjects = []string{"The account owner", "The admin", "My team lead", "Our company", "The customer", "My manager", "Everyone in the office", "A colleague", "The new user", "Our finance department"}
	problems = []string{
		"was charged twice for the same invoice", "cannot log in after the password reset",
		"sees the app crash when uploading a photo", "never received the refund we were promised",
		"would like to upgrade to the enterprise plan", "found a bug in the export to CSV",
		"gets a timeout error on the dashboard", "wants to cancel the subscription before renewal",
		"needs an invoice with the correct VAT number", "lost all saved settings after the update",
		"is asking whether single sign-on is supported", "was billed in euros instead of dollars",
		"can't connect the printer to the wireless network", "received a damaged package yesterday",
		"would like a discount for a yearly contract", "reports that the search is extremely slow",
	}
	details = []string{
		"this has happened three times this week", "I've already tried reinstalling it twice",
		"the error message says \"unknown failure\"", "please see the attached screenshot",
		"the order number is #%d", "it worked fine until Tuesday's release",
		"we're a team of %d people on the premium plan", "our account ID is ACC-%d",
		"the total was $%d.99 instead of $%d.00", "it's urgent because of a client demo tomorrow",
		"support chat didn't answer for an hour", "the delivery was supposed to arrive on Monday",
	}
	closings = []string{"Thanks in advance.", "Can you please help?", "Please refund the difference.",
		"Kind regards, Zoë", "Cheers — José", "Any update would be appreciated!", "Best, François",
		"Thank you 🙏", "This is unacceptable.", "Looking forward to your reply."}
	newsHeads = []string{"Wheat prices rise as drought hits the Midwest", "Central bank holds interest rates steady",
		"Tech shares fall after weak quarterly earnings", "Government announces new tax on imported steel",
		"Local team wins the championship after extra time", "Scientists report progress on battery storage",
		"Elections: turnout reaches a record high", "Oil output cut extended through the summer",
		"Airline strike cancels hundreds of flights", "New vaccine trial shows promising results"}
	newsBody = []string{
		"Officials said on %s that the measure would take effect next month.",
		"Analysts expect output of %d mln tonnes, up from last year's estimate.",
		"The company said revenue grew %d pct to a record in the third quarter.",
		"Shares closed %d cents lower in New York after the announcement.",
		"\"We remain cautious about the outlook,\" the minister told reporters.",
		"Trading in Tokyo (東京) and Seoul was subdued ahead of the holiday.",
		"The report, published by the U.N. agency, cited lower exports to Europe.",
		"Prices at the café in São Paulo doubled, according to the survey.",
		"Critics say the plan doesn't go far enough; supporters call it a first step.",
		"The index rose 1.5%% to 12,345.67 points by mid-afternoon.",
	}
	days = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}
)

func fill(r *rand.Rand, s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	n := strings.Count(s, "%d")
	if strings.Contains(s, "%s") {
		return fmt.Sprintf(s, days[r.IntN(len(days))])
	}
	args := make([]any, n)
	for i := range args {
		args[i] = r.IntN(5000) + 2
	}
	return fmt.Sprintf(s, args...)
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// text returns one ticket or news item; its length varies from a dozen words to a few
// hundred (a long tail, like real inputs).
func text(r *rand.Rand) string {
	var b strings.Builder
	if r.IntN(3) == 0 {
		b.WriteString(pick(r, newsHeads))
		b.WriteString("\n")
		n := 1 + r.IntN(3)
		if r.IntN(10) == 0 {
			n += 6
		}
		for i := range n {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(fill(r, pick(r, newsBody)))
		}
		return b.String()
	}
	b.WriteString(pick(r, subjects))
	b.WriteByte(' ')
	b.WriteString(pick(r, problems))
	n := r.IntN(3)
	if r.IntN(12) == 0 {
		n += 5
	}
	for range n {
		b.WriteString(", ")
		b.WriteString(fill(r, pick(r, details)))
	}
	b.WriteString(". ")
	if r.IntN(4) == 0 {
		b.WriteString("\n\n")
	}
	b.WriteString(pick(r, closings))
	if r.IntN(50) == 0 {
		b.WriteString(" \\o/ 😀")
	}
	return b.String()
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

func main() {
	sizeFlag := flag.String("size", "10M", "approximate output size (K, M, G suffixes)")
	seed := flag.Uint64("seed", 1, "random seed")
	plain := flag.Bool("plain", false, "write the texts only, one per line (for fastText)")
	maxLines := flag.Int("lines", 0, "stop after this many lines (0: no limit)")
	flag.Parse()
	size, err := parseSize(*sizeFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen: bad -size:", err)
		os.Exit(2)
	}
	r := rand.New(rand.NewPCG(*seed, 0x5eed))
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	var written int64
	var line []byte
	for i := 0; written < size && (*maxLines == 0 || i < *maxLines); i++ {
		t := text(r)
		line = line[:0]
		// Both forms consume the same random numbers, so -plain gives the same texts.
		line = append(line, '{')
		switch r.IntN(3) {
		case 0:
			line = append(line, `"id":`...)
			line = strconv.AppendInt(line, int64(i), 10)
			line = append(line, ',')
		case 1:
			line = append(line, `"id":"t-`...)
			line = strconv.AppendInt(line, int64(i), 10)
			line = append(line, `",`...)
		}
		q, _ := json.Marshal(t) // \n, \", \\ escapes
		if r.IntN(20) == 0 {
			// Some producers escape all non-ASCII: \u00e9, and surrogate pairs for emoji.
			q = []byte(strconv.QuoteToASCII(t))
			q = []byte(strings.NewReplacer(`\U0001f600`, `\ud83d\ude00`, `\U0001f64f`, `\ud83d\ude4f`, `\x`, `\u00`).Replace(string(q)))
		}
		line = append(line, `"text":`...)
		line = append(line, q...)
		if r.IntN(4) == 0 {
			line = append(line, `,"source":"email","priority":`...)
			line = strconv.AppendInt(line, int64(r.IntN(5)), 10)
		}
		line = append(line, '}')
		if *plain {
			line = append(line[:0], strings.ReplaceAll(t, "\n", " ")...)
		}
		line = append(line, '\n')
		w.Write(line)
		written += int64(len(line))
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
