//go:build !race

package drift

const raceBuild = false
