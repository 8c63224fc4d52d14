package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// TerminalNotice returns the bytes to write to the terminal for the new
// critical alerts among ts: BEL when bell is set, and when desktop is set a
// desktop notification as both OSC 9 (iTerm2, Windows Terminal, kitty,
// foot, WezTerm) and OSC 777 (urxvt, VTE terminals, foot). Both are off by
// default; nil when there is nothing to say. The text is sanitized and
// stripped of the separators the sequences use.
func TerminalNotice(ts []Transition, bell, desktop bool) []byte {
	if !bell && !desktop {
		return nil
	}
	var b bytes.Buffer
	for _, t := range ts {
		if t.To != StateFiring || t.Alert.Severity < sources.SevCritical {
			continue
		}
		if bell {
			b.WriteByte('\a')
		}
		if desktop {
			title := oscText("vigil: " + t.Alert.Name)
			body := oscText(t.Alert.Text)
			fmt.Fprintf(&b, "\x1b]9;%s: %s\x1b\\", title, body)
			fmt.Fprintf(&b, "\x1b]777;notify;%s;%s\x1b\\", title, body)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return b.Bytes()
}

// oscText makes s safe inside an OSC string: one line, no escape or
// control bytes, no ';' (OSC 777's separator), at most 200 bytes.
func oscText(s string) string {
	s = sources.OneLine(sources.Sanitize(s))
	s = strings.Map(func(r rune) rune {
		switch {
		case r == ';':
			return ','
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			return -1
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
		for len(s) > 0 && s[len(s)-1]&0xc0 == 0x80 {
			s = s[:len(s)-1]
		}
		if len(s) > 0 && s[len(s)-1] >= 0xc0 {
			s = s[:len(s)-1]
		}
	}
	return s
}

// PostableAlert is one alert in Alertmanager's POST /api/v2/alerts format.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Postable converts an alert; resolved at a non-zero time sets endsAt.
func Postable(a Alert, resolved time.Time) PostableAlert {
	p := PostableAlert{Labels: map[string]string{sources.LabelAlertName: a.Name, sources.LabelSeverity: a.Severity.String(), sources.LabelSource: a.Source},
		StartsAt: a.ActiveAt.UTC(), EndsAt: resolved.UTC()}
	if resolved.IsZero() {
		p.EndsAt = time.Time{}
	}
	for _, l := range a.Labels {
		p.Labels[l.Name] = l.Value
	}
	p.Annotations = map[string]string{}
	for k, v := range a.Annotations {
		p.Annotations[k] = v
	}
	// The expanded summary or the generated line, after its subject: a
	// notification names what it is about before what is wrong.
	p.Annotations["summary"] = a.Text
	if sub := a.Subject(); sub != "" {
		p.Annotations["summary"] = sub + ": " + a.Text
	}
	return p
}

// WebhookConfig's defaults.
const (
	DefaultWebhookTimeout = 5 * time.Second
	// WebhookResend is how often firing alerts are sent again, so that
	// Alertmanager (resolve_timeout 5 min) keeps them open.
	WebhookResend = time.Minute
)

// Webhook posts alerts in Alertmanager's format to a URL (an Alertmanager's
// /api/v2/alerts, or any receiver that reads it). It is never on by
// default: the config must name a URL. Offer never blocks: a slow receiver
// delays the next post, it does not pile them up.
type Webhook struct {
	url     string
	client  *http.Client
	mu      sync.Mutex
	pending []PostableAlert
	last    time.Time
	kick    chan struct{}
	errMu   sync.Mutex
	lastErr error
	sent    int
}

// NewWebhook checks the URL and returns a webhook; start it with Run.
func NewWebhook(rawURL string, timeout time.Duration) (*Webhook, error) {
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	return NewWebhookClient(rawURL, &http.Client{Timeout: timeout})
}

// NewWebhookClient is NewWebhook posting through client (built by package
// httpconf from Prometheus' HTTP client settings, with its timeout).
func NewWebhookClient(rawURL string, client *http.Client) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("alerts: bad webhook URL %q", sources.Sanitize(rawURL))
	}
	return &Webhook{url: u.String(), client: client, kick: make(chan struct{}, 1)}, nil
}

// Offer queues what to post after an evaluation: every transition to
// firing or resolved, and every firing alert again once per WebhookResend.
// Pending alerts are not sent.
func (w *Webhook) Offer(now time.Time, active []Alert, ts []Transition) {
	var batch []PostableAlert
	for _, t := range ts {
		switch t.To {
		case StateFiring:
			batch = append(batch, Postable(t.Alert, time.Time{}))
		case StateResolved:
			batch = append(batch, Postable(t.Alert, now))
		}
	}
	w.mu.Lock()
	if now.Sub(w.last) >= WebhookResend {
		w.last = now
		seen := map[string]bool{}
		for _, p := range batch {
			seen[fmt.Sprint(p.Labels)] = true
		}
		for _, a := range active {
			if a.State == StateFiring && a.Source == SourceVigil {
				p := Postable(a, time.Time{})
				if !seen[fmt.Sprint(p.Labels)] {
					batch = append(batch, p)
				}
			}
		}
	}
	if len(batch) == 0 {
		w.mu.Unlock()
		return
	}
	w.pending = append(w.pending, batch...)
	if len(w.pending) > 1000 {
		w.pending = w.pending[len(w.pending)-1000:]
	}
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run posts what Offer queued until ctx is done.
func (w *Webhook) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		}
		w.mu.Lock()
		batch := w.pending
		w.pending = nil
		w.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		err := w.Post(ctx, batch)
		w.errMu.Lock()
		w.lastErr = err
		if err == nil {
			w.sent += len(batch)
		}
		w.errMu.Unlock()
	}
}

// Post sends one batch now.
func (w *Webhook) Post(ctx context.Context, batch []PostableAlert) error {
	body, err := json.Marshal(batch)
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if ok := asURLError(err, &ue); ok {
			err = ue.Err
		}
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: HTTP %d", resp.StatusCode)
	}
	return nil
}

func asURLError(err error, out **url.Error) bool {
	ue, ok := err.(*url.Error)
	if ok {
		*out = ue
	}
	return ok
}

// Status returns how many alerts were posted and the last error.
func (w *Webhook) Status() (sent int, err error) {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.sent, w.lastErr
}
