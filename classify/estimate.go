package classify

import "bytes"

// EstimateTokens estimates the number of tokens (as counted by Tokens) of the "text" value of
// one raw NDJSON input line, in a single pass over its bytes and without decoding JSON: it
// counts word starts, punctuation characters and the clitics that split off words, treating
// JSON escapes \n \t \r as spaces and any \uXXXX or non-ASCII byte as a letter. It never
// fails: without a "text" key it estimates the whole line. Scripts without spaces (Chinese,
// Japanese) are under-counted, since a whole run counts as one word.
func EstimateTokens(line []byte) int {
	s := line
	if i := bytes.Index(line, []byte(`"text"`)); i >= 0 {
		j := i + len(`"text"`)
		for j < len(line) && (line[j] == ' ' || line[j] == '\t' || line[j] == ':') {
			j++
		}
		if j < len(line) && line[j] == '"' {
			s = line[j+1:]
		}
	}
	n := 0
	inWord := false
	var prev byte // previous character of the text (after unescaping), 0 at a boundary
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 't', 'r', 'b', 'f':
				c = ' '
			case 'u':
				i += 4
				c = 'a'
			default: // \" \\ \/
				c = s[i]
			}
		} else if c == '"' && len(s) < len(line) {
			break // the end of the text value
		}
		switch {
		case c >= 0x80 || 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9':
			if !inWord {
				n++
				inWord = true
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			inWord = false
		case inWord && (c == '-' || c == '.' || c == ',' || c == ':' || c == '/') && i+1 < len(s) && isASCIIAlnum(s[i+1]):
			// inner connector: "well-known", "3.5", "1,000" stay one word
		case inWord && c == '\'' && i+1 < len(s) && isASCIIAlnum(s[i+1]):
			// "don't", "it's": the clitic is a token of its own (we do not check which
			// letters follow; "o'neill" is over-counted by one).
			n++
		default:
			if !(c == '.' && prev == '.' || c == '-' && prev == '-') {
				n++
			}
			inWord = false
		}
		prev = c
	}
	return n
}

func isASCIIAlnum(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9'
}
