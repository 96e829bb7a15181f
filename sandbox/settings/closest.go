package settings

import "strings"

// Closest is the known name nearest to name (by edit distance, ignoring
// case), or "" when none is near enough to be a likely misspelling.
func Closest(name string, known []string) string {
	best, dist := Nearest(name, known)
	if dist > max(2, len(name)/3) {
		return ""
	}
	return best
}

// Nearest is the known name nearest to name by edit distance, ignoring
// case, and that distance; the first of equals wins.
func Nearest(name string, known []string) (string, int) {
	best, bestDist := "", -1
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	return best, bestDist
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
