package styles

import (
	"fmt"
	"regexp"
	"strings"
)

// Filter is a compiled pane filter: a case-insensitive regular expression,
// inverted when the expression starts with "!". The zero value keeps
// everything.
type Filter struct {
	Expr   string
	re     *regexp.Regexp
	invert bool
}

// NewFilter compiles expr; an empty expression (or a lone "!") keeps everything.
func NewFilter(expr string) (Filter, error) {
	f := Filter{Expr: expr}
	body := expr
	if rest, ok := strings.CutPrefix(body, "!"); ok {
		f.invert = true
		body = rest
	}
	if body == "" {
		return Filter{}, nil
	}
	re, err := regexp.Compile("(?i)" + body)
	if err != nil {
		return Filter{}, fmt.Errorf("filter %q: %w", expr, err)
	}
	f.re = re
	return f, nil
}

// Active reports whether the filter removes anything.
func (f Filter) Active() bool { return f.re != nil }

// Keep reports whether s passes the filter.
func (f Filter) Keep(s string) bool {
	if f.re == nil {
		return true
	}
	return f.re.MatchString(s) != f.invert
}
