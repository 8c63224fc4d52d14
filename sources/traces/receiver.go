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
	"os"
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

	// A request is read whole, within these deadlines, before it waits for
	// one of the Concurrent decode slots: a client that sends slowly holds
	// a connection and a small buffer, never a slot.
	HeaderTimeout time.Duration // to read a request's headers; default 5 s
	BodyTimeout   time.Duration // to read its body once the headers are in; default 10 s
	// Caps per client address (its IP) and in all. A client over its share
	// gets 429, the receiver over its total 503, both with Retry-After (the
	// OTLP exporters retry both); a connection over the count is closed.
	MaxClientConns   int   // connections one client may hold open; default 256
	MaxClientBytes   int64 // request bytes one client may have buffered at once; default 4 × MaxBodyBytes
	MaxBufferedBytes int64 // request bytes buffered at once, all clients; default 8 × MaxBodyBytes
	// IdleAfter is how long without a request before the receiver reports
	// itself idle (listening, nobody sending); default 1 minute.
	IdleAfter time.Duration
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
	Refused   uint64 // requests refused with 429 or 503 (a client's or the total buffer cap) and connections closed over a client's cap
	Slow      uint64 // requests whose body did not arrive within BodyTimeout
}

// Receiver is the built-in OTLP/HTTP trace receiver, a sources.Streamer. It
// serves POST /v1/traces with application/x-protobuf or application/json
// bodies, optionally gzip-compressed, and emits the converted spans as frames.
//
// It reports its own health: ok while exports arrive, idle while it listens
// and nobody sends (not down: an idle receiver is fine), and error with the
// reason while it cannot listen (the port is taken), in which case it tries
// again every HealthEvery.
type Receiver struct {
	opts        ReceiverOptions
	defaultName bool // the name follows the bound address
	queue       chan sources.Frame
	slots       chan struct{} // decode slots
	buf         *budget       // request bytes being read or waiting for a slot

	mu        sync.Mutex
	ln        net.Listener
	listenErr string       // why the last attempt to listen failed; "" while listening
	lastErr   string       // the last request refused, for the health detail
	lastReq   atomic.Int64 // Unix ns of the last request to TracesPath
	requests  atomic.Uint64
	spans     atomic.Uint64
	rejected  atomic.Uint64
	bad       atomic.Uint64
	big       atomic.Uint64
	busy      atomic.Uint64
	bytes     atomic.Uint64
	refused   atomic.Uint64
	slow      atomic.Uint64
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
	if opts.HeaderTimeout <= 0 {
		opts.HeaderTimeout = 5 * time.Second
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = 10 * time.Second
	}
	if opts.MaxClientConns <= 0 {
		opts.MaxClientConns = 256
	}
	if opts.MaxClientBytes <= 0 {
		opts.MaxClientBytes = 4 * opts.MaxBodyBytes
	}
	if opts.MaxBufferedBytes <= 0 {
		opts.MaxBufferedBytes = 8 * opts.MaxBodyBytes
	}
	if opts.IdleAfter <= 0 {
		opts.IdleAfter = time.Minute
	}
	opts.Limits = opts.Limits.withDefaults()
	return &Receiver{opts: opts, defaultName: defaultName, queue: make(chan sources.Frame, opts.Queue),
		slots: make(chan struct{}, opts.Concurrent), buf: newBudget(opts.MaxBufferedBytes, opts.MaxClientBytes)}
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
		err = fmt.Errorf("otlp receiver: %w", err)
		r.listenErr = sources.OneLine(err.Error())
		return err
	}
	r.ln, r.listenErr = ln, ""
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

// Target is the traces URL exporters are to send to: Endpoint once the
// receiver listens, the configured address before (or while it cannot).
func (r *Receiver) Target() string {
	if e := r.Endpoint(); e != "" {
		return e
	}
	return "http://" + r.opts.Listen + TracesPath
}

// Stats returns the receiver's counters.
func (r *Receiver) Stats() ReceiverStats {
	return ReceiverStats{
		Requests: r.requests.Load(), Spans: r.spans.Load(), Rejected: r.rejected.Load(),
		Malformed: r.bad.Load(), Oversized: r.big.Load(), Throttled: r.busy.Load(), Bytes: r.bytes.Load(),
		Refused: r.refused.Load(), Slow: r.slow.Load(),
	}
}

// Run serves until ctx is done, emitting a frame per accepted request and a
// health frame every HealthEvery. While the address cannot be bound (another
// process holds the port) it reports the error as its health and tries
// again every HealthEvery; it returns only when ctx is done.
func (r *Receiver) Run(ctx context.Context, emit func(sources.Frame)) error {
	tick := sources.NewBeat(r.opts.HealthEvery) // on the process's beat (sources.Beat)
	defer tick.Stop()
	for {
		if err := r.Listen(); err == nil {
			if err := r.serve(ctx, emit, tick); err == nil {
				return nil
			}
		}
		emit(sources.Frame{At: r.opts.Clock.Now(), Health: r.Health()})
		tick.Next()
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// serve runs the HTTP server on the bound listener until ctx is done (nil)
// or the listener fails (an error, kept for the health report).
func (r *Receiver) serve(ctx context.Context, emit func(sources.Frame), tick *sources.Beat) error {
	r.mu.Lock()
	ln := r.ln
	r.mu.Unlock()
	srv := &http.Server{
		Handler:           r.Handler(),
		ReadHeaderTimeout: r.opts.HeaderTimeout,
		// The body's deadline is set per request once its headers are in.
		WriteTimeout:   r.opts.HeaderTimeout + r.opts.BodyTimeout + 10*time.Second,
		IdleTimeout:    time.Minute,
		MaxHeaderBytes: 64 << 10,
	}
	served := make(chan error, 1)
	go func() {
		served <- srv.Serve(&connLimiter{Listener: ln, max: r.opts.MaxClientConns, open: map[string]int{}, refused: &r.refused})
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close() // connections still reading: cut them
		}
		r.mu.Lock()
		r.ln = nil // Serve closed it; a later Listen binds again
		r.mu.Unlock()
	}()
	emit(sources.Frame{At: r.opts.Clock.Now(), Health: r.Health()})
	for {
		select {
		case f := <-r.queue:
			f.Health = r.Health()
			emit(f)
		case <-tick.C:
			emit(sources.Frame{At: r.opts.Clock.Now(), Health: r.Health()})
			tick.Next()
		case err := <-served:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			err = fmt.Errorf("otlp receiver: %w", err)
			r.mu.Lock()
			r.listenErr = sources.OneLine(err.Error())
			r.mu.Unlock()
			return err
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

// Health is the receiver's report on itself now: error while it cannot
// listen, idle while nobody sends, ok while exports arrive. Run emits it
// every HealthEvery; a one-shot evaluation (--once) can ask for it.
func (r *Receiver) Health() *sources.Health {
	st := r.Stats()
	now := r.opts.Clock.Now()
	target := r.Target()
	r.mu.Lock()
	listenErr, lastErr, name := r.listenErr, r.lastErr, r.opts.Name
	r.mu.Unlock()
	h := &sources.Health{
		Source:   name,
		Kind:     "traces",
		Target:   target,
		State:    sources.HealthOK,
		At:       now,
		Interval: r.opts.HealthEvery, // a report is due this often: older is stale
		Bytes:    int(min(st.Bytes, uint64(1<<62))),
		Detail:   fmt.Sprintf("otlp/http: %d spans received, %d rejected, %d bad requests", st.Spans, st.Rejected, st.Malformed+st.Oversized),
	}
	if listenErr != "" {
		h.State, h.Err = sources.HealthError, listenErr
		h.Detail = "not receiving traces: " + listenErr + "; trying again every " + r.opts.HealthEvery.String()
		return h
	}
	h.LastOK = now
	if st.Throttled > 0 {
		h.Detail += fmt.Sprintf(", %d throttled", st.Throttled)
	}
	if st.Refused > 0 || st.Slow > 0 {
		h.Detail += fmt.Sprintf(", %d refused over a cap, %d too slow", st.Refused, st.Slow)
	}
	if !loopback(r.opts.Listen) {
		h.Detail += "; listening beyond loopback"
	}
	last := r.lastReq.Load()
	switch {
	case last == 0:
		h.State = sources.HealthIdle
		h.Detail = "listening, no exports yet (send OTLP/HTTP to " + target + ")"
	case now.Sub(time.Unix(0, last)) >= r.opts.IdleAfter:
		h.State = sources.HealthIdle
		h.Detail = "idle: no export for " + now.Sub(time.Unix(0, last)).Truncate(time.Second).String() + "; " + h.Detail
	}
	if lastErr != "" {
		h.Detail += "; last refused: " + lastErr
	}
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
	r.lastReq.Store(r.opts.Clock.Now().UnixNano())
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
		http.Error(w, fmt.Sprintf("unsupported content type %q: use application/x-protobuf or application/json", sources.OneLine(ct)), http.StatusUnsupportedMediaType)
		return
	}
	gz := false
	switch ce := req.Header.Get("Content-Encoding"); ce {
	case "", "identity":
	case "gzip":
		gz = true
	default:
		r.bad.Add(1)
		r.fail(w, enc, http.StatusUnsupportedMediaType, fmt.Errorf("unsupported content encoding %q", sources.OneLine(ce)))
		return
	}
	// The body first, within its deadline and the byte caps; only then a
	// decode slot, so that slow clients cannot hold the slots.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(r.opts.BodyTimeout))
	client := clientOf(req.RemoteAddr)
	raw, held, status, err := r.readRaw(req, client)
	defer r.buf.give(client, held)
	if err != nil {
		// The rest of the body is not wanted: without this the server would
		// wait for it (to reuse the connection) before answering.
		w.Header().Set("Connection", "close")
		switch status {
		case http.StatusRequestEntityTooLarge:
			r.big.Add(1)
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			r.refused.Add(1)
			w.Header().Set("Retry-After", "1")
		case http.StatusRequestTimeout:
			r.slow.Add(1)
		default:
			r.bad.Add(1)
		}
		r.fail(w, enc, status, err)
		return
	}
	select {
	case r.slots <- struct{}{}:
	case <-req.Context().Done():
		return
	}
	f, resp, status, err := r.decodeBody(raw, gz, enc)
	<-r.slots
	if err != nil {
		if status == http.StatusRequestEntityTooLarge {
			r.big.Add(1)
		} else {
			r.bad.Add(1)
		}
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

// clientOf is the client's address without its port: the key of the caps.
func clientOf(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// readRaw reads the body as sent (still compressed, if it is), refusing one
// over MaxBodyBytes with 413. Its buffer grows with what has arrived, and
// each growth is taken from the byte budget first: a client that declares a
// large body and sends a byte holds a few KiB, not the body's size. held is
// what was taken from the budget; the caller gives it back when done with
// the bytes, error or not.
func (r *Receiver) readRaw(req *http.Request, client string) (body []byte, held int64, status int, err error) {
	limit := r.opts.MaxBodyBytes
	if req.ContentLength > limit {
		return nil, 0, http.StatusRequestEntityTooLarge, fmt.Errorf("body of %d bytes is over the limit of %d bytes", req.ContentLength, limit)
	}
	want := limit + 1 // one byte more tells a body over the limit
	if req.ContentLength >= 0 {
		want = req.ContentLength + 1
	}
	buf := []byte(nil)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= want {
				if int64(len(buf)) > limit {
					return nil, held, http.StatusRequestEntityTooLarge, fmt.Errorf("body is over the limit of %d bytes", limit)
				}
				return buf, held, 0, nil // the declared length read; anything more is not the body
			}
			n := min(max(int64(2*cap(buf)), 4<<10), want)
			switch r.buf.take(client, n-int64(cap(buf))) {
			case takeClient:
				return nil, held, http.StatusTooManyRequests, fmt.Errorf("this client has over %d bytes of requests in flight; retry later", r.opts.MaxClientBytes)
			case takeTotal:
				return nil, held, http.StatusServiceUnavailable, errors.New("vigil is receiving too much at once; retry later")
			}
			held += n - int64(cap(buf))
			nb := make([]byte, len(buf), n)
			copy(nb, buf)
			buf = nb
		}
		k, rerr := req.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if int64(len(buf)) > limit {
			return nil, held, http.StatusRequestEntityTooLarge, fmt.Errorf("body is over the limit of %d bytes", limit)
		}
		if rerr == io.EOF {
			return buf, held, 0, nil
		}
		if rerr != nil {
			var mbe *http.MaxBytesError
			var ne net.Error
			switch {
			case errors.As(rerr, &mbe):
				return nil, held, http.StatusRequestEntityTooLarge, fmt.Errorf("body is over the limit of %d bytes", limit)
			case errors.Is(rerr, os.ErrDeadlineExceeded) || errors.As(rerr, &ne) && ne.Timeout():
				return nil, held, http.StatusRequestTimeout, fmt.Errorf("body not received within %s", r.opts.BodyTimeout)
			}
			return nil, held, http.StatusBadRequest, fmt.Errorf("reading body: %w", rerr)
		}
	}
}

// decodeBody inflates a gzip body (refusing one that inflates past the
// limit with 413), then decodes it.
func (r *Receiver) decodeBody(raw []byte, gz bool, enc encoding) (sources.Frame, *coltracepb.ExportTraceServiceResponse, int, error) {
	body := raw
	if gz {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return sources.Frame{}, nil, http.StatusBadRequest, fmt.Errorf("gzip: %w", err)
		}
		var out bytes.Buffer
		n, err := out.ReadFrom(io.LimitReader(zr, r.opts.MaxBodyBytes+1))
		if n > r.opts.MaxBodyBytes {
			return sources.Frame{}, nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body is over the limit of %d bytes", r.opts.MaxBodyBytes)
		}
		if err != nil {
			return sources.Frame{}, nil, http.StatusBadRequest, fmt.Errorf("gzip: %w", err)
		}
		body = out.Bytes()
	}
	r.bytes.Add(uint64(len(body)))
	return r.decode(body, enc)
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
