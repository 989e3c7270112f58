//go:build !linux

package main

// directIOHere: blob's O_DIRECT tests are Linux's alone.
func directIOHere() bool { return false }
