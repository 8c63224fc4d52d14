package main

import (
	"strings"
	"testing"
)

func TestConfigLogFrom(t *testing.T) {
	cfg, err := loadConfig(writeConfig(t, "logs:\n  - path: /var/log/apt/history.log\n    from: start\n  - path: /var/log/syslog\n"), true)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Logs[0].From != "start" || cfg.Logs[1].From != "" {
		t.Errorf("from: %q, %q", cfg.Logs[0].From, cfg.Logs[1].From)
	}
	_, err = loadConfig(writeConfig(t, "logs:\n  - path: /var/log/syslog\n    from: begin\n"), true)
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "start or end") {
		t.Errorf("a bad from: %v", err)
	}
	o := &options{output: "text", logFrom: "middle"}
	if err := o.validate(); err == nil || !strings.Contains(err.Error(), "--log-from") {
		t.Errorf("--log-from middle: %v", err)
	}
}
