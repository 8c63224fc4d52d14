// Package pick keeps a list pane's selection on the same item while the
// list is refreshed, filtered and stepped through (the GPU and host lists,
// n/N over a filter's matches).
package pick

// Filter appends to dst the items of all that keep accepts and returns them
// with the index of the one whose id is key (0 when none is, or the list
// is empty).
func Filter[T any](dst, all []T, keep func(*T) bool, id func(*T) string, key string) ([]T, int) {
	sel := 0
	for i := range all {
		if keep(&all[i]) {
			if id(&all[i]) == key {
				sel = len(dst)
			}
			dst = append(dst, all[i])
		}
	}
	return dst, sel
}

// Move is sel moved by d in a list of n, held to its ends (n > 0).
func Move(sel, d, n int) int { return min(max(sel+d, 0), n-1) }

// Step is the index after sel in a list of n (before it with back),
// wrapping around at the ends (n > 0).
func Step(sel, n int, back bool) int {
	if back {
		return (sel - 1 + n) % n
	}
	return (sel + 1) % n
}
