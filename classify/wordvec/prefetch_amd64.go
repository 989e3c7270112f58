package wordvec

// prefetchSlots hints the processor to fetch the table slots of n tokens' hashes, read
// from h, stride bytes apart (the h field of consecutive tokenKeys), so that their cache
// misses overlap while the look-ups that follow run.
//
//go:noescape
func prefetchSlots(slots *wordSlot, mask uint64, h *uint64, stride uintptr, n int)
