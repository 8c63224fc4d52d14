package traces

import (
	"strings"
	"testing"
)

func TestSecret(t *testing.T) {
	for key, want := range map[string]bool{
		"authorization": true, "http.request.header.authorization": true, "http.request.header.Proxy-Authorization": true,
		"http.request.header.cookie": true, "http.response.header.set-cookie": true, "api_key": true, "openai.API_KEY": true,
		"x-api-key": true, "db.password": true, "oauth.access_token": true, "client_secret": true,
		"gen_ai.usage.input_tokens": false, "user.id": false, "http.route": false, "tokenizer": false, "": false, "key": false,
		"api_key.length": false, "cookie_count": false,
	} {
		if got := Secret(key); got != want {
			t.Errorf("Secret(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestJaegerRedactsCredentials(t *testing.T) {
	j, _ := NewJaeger(ClientOptions{URL: "http://127.0.0.1:1"})
	body := strings.Replace(jaegerTraceJSON, `{"key":"span.kind","type":"string","value":"server"}`,
		`{"key":"span.kind","type":"string","value":"server"},{"key":"http.request.header.authorization","type":"string","value":"Bearer abc"}`, 1)
	body = strings.Replace(body, `{"key":"event","type":"string","value":"retry"}`, `{"key":"event","type":"string","value":"retry"},{"key":"password","type":"string","value":"hunter2"}`, 1)
	body = strings.Replace(body, `{"key":"hostname","type":"string","value":"gpu-01"}`, `{"key":"hostname","type":"string","value":"gpu-01"},{"key":"API-Key","type":"string","value":"k1"}`, 1)
	ts, err := j.decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	spans := j.convert(ts[0])
	root := spans[0]
	if root.Attrs["http.request.header.authorization"] != Redacted || root.Attrs["resource.API-Key"] != Redacted || root.Events[0].Attrs["password"] != Redacted {
		t.Errorf("attrs %v events %+v", root.Attrs, root.Events)
	}
	if root.Attrs["resource.hostname"] != "gpu-01" {
		t.Errorf("plain attribute redacted: %v", root.Attrs)
	}
}
