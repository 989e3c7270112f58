//go:build !amd64

package wordvec

func prefetchSlots(slots *wordSlot, mask uint64, h *uint64, stride uintptr, n int) {}
