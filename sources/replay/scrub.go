package replay

import (
	"regexp"
	"strings"

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

// sensitiveKey reports whether an attribute or field named k holds a
// credential by its name (its last dotted segment): authorization, cookie,
// password, secret, token, api_key and the like. "prompt_tokens" is not.
func sensitiveKey(k string) bool {
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		k = k[i+1:]
	}
	switch strings.ToLower(strings.ReplaceAll(k, "-", "_")) {
	case "authorization", "proxy_authorization", "cookie", "set_cookie", "password", "passwd", "pwd",
		"secret", "client_secret", "token", "access_token", "refresh_token", "id_token", "api_key", "apikey",
		"x_api_key", "private_key":
		return true
	}
	return false
}

// scrubLine removes credentials from free text (a log line) when it has
// any sign of one; most lines are returned as they are, without a regexp.
func scrubLine(s string) string {
	if strings.IndexByte(s, '@') < 0 && strings.IndexByte(s, '=') < 0 && !containsFold(s, "bearer") &&
		!containsFold(s, "basic") && !containsFold(s, "token") {
		return s
	}
	return Scrub(s)
}

func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}
