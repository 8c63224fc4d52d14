//go:build race

package drift

// raceBuild reports a build with the race detector, which makes the
// long-running tests much slower.
const raceBuild = true
