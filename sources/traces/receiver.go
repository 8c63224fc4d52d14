package traces

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/vigil-dev/vigil/sources"
)

// DefaultListen is where the receiver listens unless told otherwise: the
// OTLP/HTTP port on loopback only.
const DefaultListen = "127.0.0.1:4318"

// TracesPath is the OTLP/HTTP traces endpoint.
const TracesPath = "/v1/traces"

// ReceiverOptions configures a Receiver. Zero fields take the defaults.
type ReceiverOptions struct {
	Listen       string        // host:port; default DefaultListen (loopback). Port 0 picks a free one
	MaxBodyBytes int64         // largest request body accepted, after gzip decompression, in bytes; default 8 MiB
	Queue        int           // decoded batches waiting for the hub before requests get 503; default 64
	Name         string        // the source's name in health reports; default "otlp <listen>"
	Clock        sources.Clock // stamps frames and health; default the wall clock
	HealthEvery  time.Duration // how often health is reported without traffic; default 5 s
	Concurrent   int           // requests decoded at once (bounds memory to about Concurrent × MaxBodyBytes × 3); default 8
	Limits       Limits        // per-span bounds
}

// ReceiverStats counts what the receiver has seen since it started.
type ReceiverStats struct {
	Requests  uint64 // requests to /v1/traces
	Spans     uint64 // spans accepted and handed on
	Rejected  uint64 // spans refused: invalid ids (partial success)
	Malformed uint64 // requests refused with 400 (undecodable body)
	Oversized uint64 // requests refused with 413
	Throttled uint64 // requests refused with 503 because the hub was behind
	Bytes     uint64 // request body bytes read (decompressed)
}

// Receiver is the built-in OTLP/HTTP trace receiver, a sources.Streamer. It
// serves POST /v1/traces with application/x-protobuf or application/json
// bodies, optionally gzip-compressed, and emits the converted spans as frames.
type Receiver struct {
	opts        ReceiverOptions
	defaultName bool // the name follows the bound address
	queue       chan sources.Frame
	slots       chan struct{} // decode slots

	mu       sync.Mutex
	ln       net.Listener
	lastErr  string
	requests atomic.Uint64
	spans    atomic.Uint64
	rejected atomic.Uint64
	bad      atomic.Uint64
	big      atomic.Uint64
	busy     atomic.Uint64
	bytes    atomic.Uint64
}

// NewReceiver returns a receiver; it does not listen until Listen or Run.
func NewReceiver(opts ReceiverOptions) *Receiver {
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 8 << 20
	}
	if opts.Queue <= 0 {
		opts.Queue = 64
	}
	defaultName := opts.Name == ""
	if defaultName {
		opts.Name = "otlp " + opts.Listen
	}
	if opts.Clock == nil {
		opts.Clock = sources.WallClock{}
	}
	if opts.HealthEvery <= 0 {
		opts.HealthEvery = 5 * time.Second
	}
	if opts.Concurrent <= 0 {
		opts.Concurrent = 8
	}
	opts.Limits = opts.Limits.withDefaults()
	return &Receiver{opts: opts, defaultName: defaultName, queue: make(chan sources.Frame, opts.Queue), slots: make(chan struct{}, opts.Concurrent)}
}

// Name identifies the receiver in health reports: "otlp 127.0.0.1:4318",
// with the port actually bound once Listen has run.
func (r *Receiver) Name() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.opts.Name
}

// Listen binds the listening socket, so that a port already in use is
// reported before the console starts. Run calls it when it was not called.
func (r *Receiver) Listen() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", r.opts.Listen)
	if err != nil {
		return fmt.Errorf("otlp receiver: %w", err)
	}
	r.ln = ln
	if r.defaultName {
		r.opts.Name = "otlp " + ln.Addr().String() // port 0 becomes the one chosen
	}
	return nil
}

// Addr is the address the receiver listens on ("127.0.0.1:4318"), or "" before Listen.
func (r *Receiver) Addr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln == nil {
		return ""
	}
	return r.ln.Addr().String()
}

// Endpoint is the traces URL a client exports to, or "" before Listen.
func (r *Receiver) Endpoint() string {
	a := r.Addr()
	if a == "" {
		return ""
	}
	return "http://" + a + TracesPath
}

// Stats returns the receiver's counters.
func (r *Receiver) Stats() ReceiverStats {
	return ReceiverStats{
		Requests: r.requests.Load(), Spans: r.spans.Load(), Rejected: r.rejected.Load(),
		Malformed: r.bad.Load(), Oversized: r.big.Load(), Throttled: r.busy.Load(), Bytes: r.bytes.Load(),
	}
}

// Run serves until ctx is done, emitting a frame per accepted request and a
// health frame every HealthEvery.
func (r *Receiver) Run(ctx context.Context, emit func(sources.Frame)) error {
	if err := r.Listen(); err != nil {
		return err
	}
	r.mu.Lock()
	ln := r.ln
	r.mu.Unlock()
	srv := &http.Server{
		Handler:           r.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		r.mu.Lock()
		r.ln = nil // Serve closed it; a later Run binds again
		r.mu.Unlock()
	}()
	emit(sources.Frame{At: r.opts.Clock.Now(), Health: r.health()})
	tick := time.NewTicker(r.opts.HealthEvery)
	defer tick.Stop()
	for {
		select {
		case f := <-r.queue:
			f.Health = r.health()
			emit(f)
		case <-tick.C:
			emit(sources.Frame{At: r.opts.Clock.Now(), Health: r.health()})
		case err := <-served:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("otlp receiver: %w", err)
		case <-ctx.Done():
			return nil
		}
	}
}

// loopback reports whether addr's host is a loopback address or localhost.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r *Receiver) health() *sources.Health {
	st := r.Stats()
	now := r.opts.Clock.Now()
	target := r.Endpoint()
	if target == "" {
		target = "http://" + r.opts.Listen + TracesPath
	}
	h := &sources.Health{
		Source: r.opts.Name,
		Kind:   "traces",
		Target: target,
		State:  sources.HealthOK,
		At:     now,
		LastOK: now,
		Bytes:  int(min(st.Bytes, uint64(1<<62))),
		Detail: fmt.Sprintf("otlp/http: %d spans received, %d rejected, %d bad requests", st.Spans, st.Rejected, st.Malformed+st.Oversized),
	}
	if st.Throttled > 0 {
		h.Detail += fmt.Sprintf(", %d throttled", st.Throttled)
	}
	if !loopback(r.opts.Listen) {
		h.Detail += "; listening beyond loopback"
	}
	r.mu.Lock()
	h.Err = r.lastErr
	r.mu.Unlock()
	return h
}

// Handler returns the HTTP handler serving TracesPath. Requests are refused
// with 503 while the queue toward the hub is full (OTLP clients retry).
func (r *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(TracesPath, r.serveTraces)
	return mux
}

type encoding uint8

const (
	encProto encoding = iota
	encJSON
)

func (r *Receiver) serveTraces(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "only POST is allowed on "+TracesPath, http.StatusMethodNotAllowed)
		return
	}
	ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	var enc encoding
	switch ct {
	case "application/x-protobuf", "application/protobuf":
		enc = encProto
	case "application/json":
		enc = encJSON
	default:
		http.Error(w, fmt.Sprintf("unsupported content type %q: use application/x-protobuf or application/json", ct), http.StatusUnsupportedMediaType)
		return
	}
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-req.Context().Done():
		return
	}
	body, status, err := r.readBody(req)
	if err != nil {
		if status == http.StatusRequestEntityTooLarge {
			r.big.Add(1)
		} else {
			r.bad.Add(1)
		}
		r.fail(w, enc, status, err)
		return
	}
	f, resp, status, err := r.decode(body, enc)
	if err != nil {
		r.bad.Add(1)
		r.fail(w, enc, status, err)
		return
	}
	if len(f.Spans) > 0 {
		select {
		case r.queue <- f:
		default:
			r.busy.Add(1)
			w.Header().Set("Retry-After", "1")
			r.fail(w, enc, http.StatusServiceUnavailable, errors.New("vigil is behind; retry later"))
			return
		}
		r.spans.Add(uint64(len(f.Spans)))
	}
	writeMsg(w, enc, http.StatusOK, resp)
}

// readBody reads the body, gunzipping it when asked, and refuses bodies over
// the limit (before and after decompression) with 413.
func (r *Receiver) readBody(req *http.Request) ([]byte, int, error) {
	limit := r.opts.MaxBodyBytes
	if req.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body of %d bytes is over the limit of %d bytes", req.ContentLength, limit)
	}
	var rd io.Reader = io.LimitReader(req.Body, limit+1)
	switch req.Header.Get("Content-Encoding") {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		rd = io.LimitReader(zr, limit+1)
	default:
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("unsupported content encoding %q", req.Header.Get("Content-Encoding"))
	}
	var buf bytes.Buffer
	if req.ContentLength > 0 && req.Header.Get("Content-Encoding") == "" {
		buf.Grow(int(req.ContentLength))
	}
	n, err := buf.ReadFrom(rd)
	if n > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body is over the limit of %d bytes", limit)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body is over the limit of %d bytes", limit)
		}
		return nil, http.StatusBadRequest, fmt.Errorf("reading body: %w", err)
	}
	r.bytes.Add(uint64(n))
	return buf.Bytes(), 0, nil
}

// decode parses and converts a request body. Spans with invalid ids are
// rejected one by one (partial success); an undecodable body is a 400.
func (r *Receiver) decode(body []byte, enc encoding) (sources.Frame, *coltracepb.ExportTraceServiceResponse, int, error) {
	var req *coltracepb.ExportTraceServiceRequest
	var err error
	if enc == encJSON {
		req, err = DecodeJSON(body)
	} else {
		req, err = DecodeProto(body)
	}
	if err != nil {
		return sources.Frame{}, nil, http.StatusBadRequest, err
	}
	spans, rejected, reason := Convert(req.GetResourceSpans(), r.opts.Limits)
	resp := &coltracepb.ExportTraceServiceResponse{}
	if rejected > 0 {
		r.rejected.Add(uint64(rejected))
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{
			RejectedSpans: int64(rejected),
			ErrorMessage:  reason,
		}
		r.mu.Lock()
		r.lastErr = strconv.Itoa(rejected) + " spans rejected: " + reason
		r.mu.Unlock()
	}
	return sources.Frame{Source: r.opts.Name, At: r.opts.Clock.Now(), Spans: spans}, resp, 0, nil
}

// fail answers with a google.rpc.Status in the request's encoding, as the
// OTLP/HTTP specification asks for 4xx and 5xx responses.
func (r *Receiver) fail(w http.ResponseWriter, enc encoding, status int, err error) {
	msg := sources.OneLine(err.Error())
	r.mu.Lock()
	r.lastErr = fmt.Sprintf("%d %s: %s", status, http.StatusText(status), msg)
	r.mu.Unlock()
	code := int32(3) // INVALID_ARGUMENT
	switch status {
	case http.StatusRequestEntityTooLarge:
		code = 8 // RESOURCE_EXHAUSTED
	case http.StatusServiceUnavailable:
		code = 14 // UNAVAILABLE
	}
	writeMsg(w, enc, status, &spb.Status{Code: code, Message: msg})
}

func writeMsg(w http.ResponseWriter, enc encoding, status int, m proto.Message) {
	var b []byte
	var err error
	if enc == encJSON {
		w.Header().Set("Content-Type", "application/json")
		b, err = protojson.Marshal(m)
	} else {
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, err = proto.Marshal(m)
	}
	if err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
