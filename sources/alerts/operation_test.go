package alerts

import (
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Two operations of one model (OpenTelemetry GenAI rows) are two services:
// errors in chat raise chat's alert, embeddings stay quiet.
func TestErrorRatePerOperation(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	chat, emb := newSvcSim(st), newSvcSim(st)
	chat.svc, chat.stk, chat.op = "gpt-4o", "otel-genai", "chat"
	emb.svc, emb.stk, emb.op = "gpt-4o", "otel-genai", "embeddings"
	chat.errShare = 0.05
	e := New(st, Options{})
	ts := run(e, t0, 300, func(at time.Time, _ int) {
		chat.step(at)
		emb.step(at)
	})
	got := only(ts, RuleErrorRate)
	if len(got) != 2 || got[1].To != StateFiring {
		t.Fatalf("transitions %s", describe(got, t0))
	}
	for _, tr := range got {
		if op := labelOf(tr.Alert.Labels, sources.LabelOperation); op != "chat" {
			t.Errorf("%s alert on operation %q, want chat", tr.To, op)
		}
	}
	if n := len(e.Active()); n != 1 {
		t.Errorf("%d active alerts, want chat's only", n)
	}
}
