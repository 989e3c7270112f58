// Command abuse opens many connections to an appliance's /_blob/upload that each send
// the headers of a huge multipart upload and then up to -preamble bytes of preamble (lines
// before the first boundary), as fast as the server takes them, and then keep the
// connection open: what an unauthenticated client can make the server hold.
//
//	go run ./bench/abuse -url http://127.0.0.1:8080 -path '/_blob/upload?key=...' -conns 1000
//
// -path is the request URI (a job's signed upload URL, or the bare /_blob/upload); the
// connections alternate between it and the bare path when -mix is set. Once every
// connection has sent what it could, abuse prints how many the server answered (with
// which statuses) and how many it closed, writes "ready" and holds the open connections
// until its standard input closes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	path := flag.String("path", "/_blob/upload", "request URI to POST to")
	mix := flag.Bool("mix", false, "send every other connection to the bare /_blob/upload")
	conns := flag.Int("conns", 1000, "connections")
	preamble := flag.Int("preamble", 1<<20, "bytes of preamble each connection sends")
	flag.Parse()
	u, err := url.Parse(*base)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		fmt.Fprintln(os.Stderr, "abuse: -url must be a loopback URL")
		os.Exit(2)
	}

	line := []byte(strings.Repeat("p", 1023) + "\n")
	var (
		mu       sync.Mutex
		statuses = map[string]int{}
		held     []net.Conn
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, 100) // connections being set up at once
	for i := range *conns {
		p := *path
		if *mix && i%2 == 1 {
			p = "/_blob/upload"
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			status := run(u.Host, p, line, *preamble)
			mu.Lock()
			defer mu.Unlock()
			statuses[status.what]++
			if status.conn != nil {
				held = append(held, status.conn)
			}
		}()
	}
	wg.Wait()
	var keys []string
	for k := range statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("connections %s: %d\n", k, statuses[k])
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range held {
		c.Close()
	}
}

type result struct {
	what string
	conn net.Conn // still open, to hold
}

// run sends one upload's headers and preamble, and reports what the server did: answered
// (with the status), closed the connection, or neither (the connection is held).
func run(host, path string, line []byte, preamble int) result {
	c, err := net.Dial("tcp", host)
	if err != nil {
		return result{what: "failed to connect"}
	}
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: %d\r\n\r\n", path, host, 1<<32)
	for sent := 0; sent < preamble; sent += len(line) {
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Write(line); err != nil {
			break // the server stopped reading: it answered or closed
		}
	}
	c.SetWriteDeadline(time.Time{})
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		resp.Body.Close()
		c.Close()
		return result{what: "answered " + resp.Status}
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.SetReadDeadline(time.Time{})
		return result{what: "held open, unanswered", conn: c}
	}
	c.Close()
	return result{what: "closed by the server"}
}
