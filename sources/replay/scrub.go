package replay

import (
	"regexp"

	"github.com/vigil-dev/vigil/sources"
)

// Credentials never reach a recording. Sources promise that health targets
// carry none; the recorder scrubs them anyway, in case a URL with user
// information or a token slipped into a target or an error message.
var (
	reUserinfo = regexp.MustCompile(`(://)[^/@\s]+@`)
	reAuth     = regexp.MustCompile(`(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{6,}`)
	reParam    = regexp.MustCompile(`(?i)\b(password|passwd|pwd|token|access_token|api_key|apikey|secret|auth)=([^&\s"'()]+)`)
)

// Scrub removes credentials from s: URL user information, bearer/basic
// tokens and password-like query parameters are replaced by "***".
func Scrub(s string) string {
	if s == "" {
		return s
	}
	s = reUserinfo.ReplaceAllString(s, "${1}***@")
	s = reAuth.ReplaceAllString(s, "${1}${2}***")
	return reParam.ReplaceAllString(s, "${1}=***")
}

func scrubHealth(h sources.Health) sources.Health {
	h.Target = Scrub(h.Target)
	h.Err = Scrub(h.Err)
	h.Detail = Scrub(h.Detail)
	return h
}
