package drift

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ReadOptions says where the values are in a file. With neither Column nor
// Field set, the file holds one value per line (blank lines and lines starting
// with '#' are skipped).
type ReadOptions struct {
	// Column selects a CSV column by header name, or by 0-based index if it
	// is a non-negative integer. With a name the first record is the
	// header; with an index the first record is taken as a header only if
	// its field does not parse as a number (numeric reads).
	Column string
	// Field selects a value in a file of JSON objects, one per line, by a
	// dotted path such as "response.latency_ms".
	Field string
}

// ReadValues reads numeric values from r as opt describes. Empty CSV cells,
// JSON nulls and objects without the field are skipped and counted in
// skipped; "NaN" and "Inf" parse (callers decide what to do with them). Any
// other unparseable value is an error naming its line.
func ReadValues(r io.Reader, opt ReadOptions) (values []float64, skipped int, err error) {
	err = readFields(r, opt, true, func(s string, line int) error {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("line %d: invalid number %q", line, s)
		}
		values = append(values, v)
		return nil
	}, func() { skipped++ })
	return values, skipped, err
}

// ReadCategories reads categorical values (strings) from r as opt describes;
// numbers and booleans in JSON keep their literal text. Skipping follows
// ReadValues.
func ReadCategories(r io.Reader, opt ReadOptions) (values []string, skipped int, err error) {
	err = readFields(r, opt, false, func(s string, line int) error {
		values = append(values, s)
		return nil
	}, func() { skipped++ })
	return values, skipped, err
}

// ReadValuesFile is ReadValues on the named file; errors name the file.
func ReadValuesFile(path string, opt ReadOptions) ([]float64, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	v, skipped, err := ReadValues(f, opt)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return v, skipped, nil
}

// ReadCategoriesFile is ReadCategories on the named file; errors name the
// file.
func ReadCategoriesFile(path string, opt ReadOptions) ([]string, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	v, skipped, err := ReadCategories(f, opt)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return v, skipped, nil
}

// errNoValues is returned by readers for a file with nothing usable.
var errNoValues = errors.New("no values")

func readFields(r io.Reader, opt ReadOptions, numeric bool, emit func(string, int) error, skip func()) error {
	// Skip a UTF-8 byte order mark, which spreadsheet exports add.
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
	r = br
	switch {
	case opt.Column != "" && opt.Field != "":
		return errors.New("both a CSV column and a JSON field given")
	case opt.Column != "":
		return readCSV(r, opt.Column, numeric, emit, skip)
	case opt.Field != "":
		return readJSONLines(r, opt.Field, emit, skip)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line, n := 0, 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if err := emit(s, line); err != nil {
			return err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	if n == 0 {
		return errNoValues
	}
	return nil
}

func readCSV(r io.Reader, column string, numeric bool, emit func(string, int) error, skip func()) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	idx, err := strconv.Atoi(column)
	byName := err != nil || idx < 0
	first := true
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return fmt.Errorf("csv: %w", err)
		}
		if first {
			first = false
			if byName {
				idx = -1
				for i, h := range rec {
					if strings.TrimSpace(h) == column {
						idx = i
						break
					}
				}
				if idx < 0 {
					return fmt.Errorf("line %d: no column %q in the header", line, column)
				}
				continue
			}
			if numeric && idx < len(rec) {
				if _, err := strconv.ParseFloat(strings.TrimSpace(rec[idx]), 64); err != nil && strings.TrimSpace(rec[idx]) != "" {
					continue // a header
				}
			}
		}
		if idx >= len(rec) {
			return fmt.Errorf("line %d: no column %d (the record has %d fields)", line, idx, len(rec))
		}
		s := strings.TrimSpace(rec[idx])
		if s == "" {
			skip()
			continue
		}
		if err := emit(s, line); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errNoValues
	}
	return nil
}

func readJSONLines(r io.Reader, field string, emit func(string, int) error, skip func()) error {
	path := strings.Split(field, ".")
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line, n := 0, 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("line %d: invalid JSON: %w", line, err)
		}
		for _, key := range path {
			obj, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = obj[key]
		}
		var s string
		switch x := v.(type) {
		case nil:
			skip()
			continue
		case json.Number:
			s = x.String()
		case string:
			s = x
		case bool:
			s = strconv.FormatBool(x)
		default:
			return fmt.Errorf("line %d: field %s is not a number or string", line, field)
		}
		if err := emit(s, line); err != nil {
			return err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	if n == 0 {
		return errNoValues
	}
	return nil
}
