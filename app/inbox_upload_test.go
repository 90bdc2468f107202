package app

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

// uploadBody builds the multipart body the upload form sends.
func uploadBody(files map[string][]byte) (body []byte, contentType string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for name, data := range files {
		part, _ := w.CreateFormFile("files", name)
		part.Write(data)
	}
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// postUpload sends a prepared upload body; safe to call from several goroutines.
func (c *client) postUpload(body []byte, contentType string) (status int, text string, err error) {
	req, err := http.NewRequest("POST", c.h.url+"/inbox/upload", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// largeReport is a report mail of about size bytes: the test format's text body and
// base64 attachments just under the attachment limit, so that the reducer keeps it
// whole and the decoder has all of it to decode.
func largeReport(n int, size int) []byte {
	var b bytes.Buffer
	head := parserstest.Mail(n, "Success", "Large")
	hdr, body, _ := bytes.Cut(head, []byte("\r\n\r\n"))
	hdr = bytes.Replace(hdr, []byte("Content-Type: text/plain; charset=utf-8"), []byte(`Content-Type: multipart/mixed; boundary="b1"`), 1)
	b.Write(hdr)
	b.WriteString("\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.Write(body)
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	for i := 0; b.Len() < size; i++ {
		blob := make([]byte, min(7<<20, (size-b.Len())*3/4+1))
		for j := range blob {
			blob[j] = byte(rng.Uint32())
		}
		fmt.Fprintf(&b, "--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"part%d.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", i)
		enc := base64.StdEncoding.EncodeToString(blob)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--b1--\r\n")
	return b.Bytes()
}

// heapPeak samples the heap in use until stop is closed and returns the peak.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// Three large uploads at once (the probe sent three of 50 MB, which is now over the
// limit, so these are 20 MB each) are all imported whole. The heap they cost is
// reported, not asserted: it depends on the machine and the garbage collector.
func TestSecurityConcurrentLargeUploads(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	type upload struct {
		body        []byte
		contentType string
		size        int
	}
	var uploads []upload
	size := 20 << 20
	if raceEnabled {
		size = 4 << 20
	}
	for n := 1; n <= 3; n++ {
		raw := largeReport(n, size)
		body, ct := uploadBody(map[string][]byte{fmt.Sprintf("large-%d.eml", n): raw})
		uploads = append(uploads, upload{body, ct, len(raw)})
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	peak := heapPeak(stop)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for _, u := range uploads {
		wg.Go(func() {
			status, text, err := c.postUpload(u.body, u.contentType)
			if err != nil || status != http.StatusOK || !strings.Contains(text, "1 file uploaded") {
				failed.Add(1)
				t.Errorf("upload: %d %v\n%.500s", status, err, text)
			}
		})
	}
	wg.Wait()
	close(stop)
	t.Logf("heap in use: %d MB before, peak %d MB during three concurrent %d MB uploads",
		before.HeapInuse>>20, <-peak>>20, size>>20)
	if failed.Load() > 0 {
		return
	}
	var sizes []int
	if err := h.db.Bun.NewRaw("SELECT octet_length(raw_mime) FROM mail_messages ORDER BY octet_length(raw_mime)").Scan(t.Context(), &sizes); err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 3 {
		t.Fatalf("%d mails stored, want 3", len(sizes))
	}
	for i, u := range uploads {
		if !slices.Contains(sizes, u.size) {
			t.Errorf("upload %d (%d bytes) not stored whole: stored sizes %v", i+1, u.size, sizes)
		}
	}
}

// An empty .eml is still a mail: stored and listed as unparsed, beside the others.
func TestSecurityEmptyUploadIsStoredUnparsed(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	r := c.upload(map[string][]byte{"empty.eml": nil})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#flash"), "1 file uploaded") || r.doc.Find("#inbox-rows .badge:contains('Unparsed')").Length() != 1 {
		t.Fatalf("empty upload not listed as an unparsed mail:\n%s", r.body)
	}
	r = c.upload(map[string][]byte{"empty2.eml": {}, "a.eml": parserstest.Mail(1, "Success", "Nightly")})
	wantStatus(t, r, http.StatusOK)
	if got := r.doc.Find("#inbox-rows tr").Length(); got != 2 || !strings.Contains(r.text("#flash"), "1 was already imported") {
		t.Fatalf("%d rows, flash %q; want the report beside the one empty mail (the second empty file is the same file)", got, r.text("#flash"))
	}
	var reason string
	if err := h.db.Bun.NewRaw("SELECT parse_error FROM mail_messages WHERE octet_length(raw_mime) = 0").Scan(t.Context(), &reason); err != nil || !strings.HasPrefix(reason, "empty message") {
		t.Fatalf("empty mail's reason = %q, %v", reason, err)
	}
}

// Files that are no mail at all (a PDF, a note) are refused by name, by their content
// whatever their name says; a mail that is merely broken is stored, unparsed.
func TestUploadRefusesFilesThatAreNoMail(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	r := c.upload(map[string][]byte{
		"invoice.pdf": []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
		"notes.txt":   []byte("Notes from Monday\nCall Acme about the NAS.\n"),
		"renamed.eml": []byte("PK\x03\x04\x14\x00\x06\x00"),
		"broken.eml":  []byte("Subject: Backup report\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n\x00\x01 garbage"),
		"a.eml":       parserstest.Mail(1, "Success", "Nightly"),
	})
	wantStatus(t, r, http.StatusOK)
	flash := r.text("#flash")
	for _, want := range []string{"2 files uploaded", "invoice.pdf: not a mail", "notes.txt: not a mail", "renamed.eml: not a mail"} {
		if !strings.Contains(flash, want) {
			t.Errorf("flash %q lacks %q", flash, want)
		}
	}
	if got := r.doc.Find("#inbox-rows tr").Length(); got != 2 || r.doc.Find("#inbox-rows .badge:contains('Unparsed')").Length() != 1 {
		t.Fatalf("%d rows, want the report and the broken mail (unparsed):\n%s", got, r.body)
	}
	r = c.upload(map[string][]byte{"invoice.pdf": []byte("%PDF-1.7\n")})
	if r.doc.Find("#flash .alert-danger").Length() != 1 || !strings.Contains(r.text("#flash"), "Nothing was imported. invoice.pdf: not a mail") {
		t.Fatalf("a lone PDF: %q", r.text("#flash"))
	}
}

// A file over the limit is refused by name and with the limit; the other files of the
// upload are imported; nothing is stored cut off.
func TestSecurityOversizedUploadIsRefusedByName(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	big := append(parserstest.Mail(1, "Success", "Big"), bytes.Repeat([]byte("padding line\r\n"), (33<<20)/14)...)
	r := c.upload(map[string][]byte{"big.eml": big, "a.eml": parserstest.Mail(2, "Success", "Nightly")})
	wantStatus(t, r, http.StatusOK)
	flash := r.text("#flash")
	for _, want := range []string{"1 file uploaded", "Not imported: big.eml: 33.0 MB, larger than the 32 MB limit per file"} {
		if !strings.Contains(flash, want) {
			t.Errorf("flash %q lacks %q", flash, want)
		}
	}
	if r.doc.Find("#flash .alert-warning").Length() != 1 {
		t.Errorf("a partly refused upload is not a warning:\n%s", r.body)
	}
	if ids := mailIDs(t, h, "true"); len(ids) != 1 {
		t.Fatalf("%d mails stored, want only a.eml", len(ids))
	}
	// Alone, it imports nothing and says so.
	r = c.upload(map[string][]byte{"big.eml": big})
	wantStatus(t, r, http.StatusOK)
	if !strings.HasPrefix(r.text("#flash"), "Nothing was imported. big.eml: 33.0 MB") || r.doc.Find("#flash .alert-danger").Length() != 1 {
		t.Fatalf("flash %q", r.text("#flash"))
	}
}

// While the upload slots are taken, an upload waits, then gets a plain 503 with
// Retry-After, and nothing of it is stored.
func TestSecurityUploadWhenBusyIsAskedToRetry(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	h.app.uploadWait = 50 * time.Millisecond
	for range cap(h.app.uploadSlots) {
		h.app.uploadSlots <- struct{}{}
	}
	r := c.upload(map[string][]byte{"a.eml": parserstest.Mail(1, "Success", "Nightly")})
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") != "30" || !strings.HasPrefix(r.text("#flash"), "The server is busy importing other uploads") {
		t.Fatalf("busy answer: Retry-After %q, flash %q", r.Header.Get("Retry-After"), r.text("#flash"))
	}
	if ids := mailIDs(t, h, "true"); len(ids) != 0 {
		t.Fatalf("%d mails stored while busy", len(ids))
	}
	for range cap(h.app.uploadSlots) {
		<-h.app.uploadSlots
	}
	wantStatus(t, c.upload(map[string][]byte{"a.eml": parserstest.Mail(1, "Success", "Nightly")}), http.StatusOK)
}

// rawRequest writes a request head (and a little of its body) on a new connection
// and reads the answer, as a client that claims more than it sends would.
func rawRequest(t *testing.T, h *harness, head string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// A body over the route's limit, or of unknown length, is refused from its headers,
// before the sign-in check and before any of it is read.
func TestSecurityOversizedRequestIsRefusedUnread(t *testing.T) {
	h := newHarness(t, Options{})
	for _, tc := range []struct {
		name, head string
		status     int
		want       string
	}{
		{"upload over 256 MB", "POST /inbox/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n" +
			"Content-Length: 300000000\r\nHX-Request: true\r\n\r\n--b\r\n", http.StatusRequestEntityTooLarge, "more than the 256 MB allowed here"},
		{"form over 64 MB", "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
			"Content-Length: 70000000\r\n\r\nusername=", http.StatusRequestEntityTooLarge, "more than the 64 MB allowed here"},
		{"chunked", "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
			"Transfer-Encoding: chunked\r\n\r\n2400\r\n", http.StatusLengthRequired, "Content-Length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The server reads up to 8 KB of a body before the handlers run: send more.
			resp, body := rawRequest(t, h, tc.head+strings.Repeat("a", 9<<10))
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) || !resp.Close {
				t.Fatalf("%d, close %v, %q; want %d saying %q and closing the connection", resp.StatusCode, resp.Close, body, tc.status, tc.want)
			}
		})
	}
}

// A request refused without its body read (here: no CSRF token) must not leave the
// rest of its body on the connection to be read as the next request: the server
// closes the connection instead.
func TestSecurityUnreadBodyIsNotReadAsTheNextRequest(t *testing.T) {
	h := newHarness(t, Options{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	// A body of requests: read as the next request, each would be answered.
	next := "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
	body := strings.Repeat(next, 600)
	io.WriteString(conn, "POST /inbox/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"+
		fmt.Sprintf("Content-Length: %d\r\nX-CSRF-Token: forged\r\n\r\n", len(body))+body+next)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusForbidden || !resp.Close {
		t.Fatalf("%d, close %v; want 403 and the connection closed", resp.StatusCode, resp.Close)
	}
	if next, err := http.ReadResponse(br, nil); err == nil {
		t.Fatalf("the body was read as a request: %d", next.StatusCode)
	}
}

func TestUploadBoxSaysTheLimits(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	r := c.get("/inbox")
	wantStatus(t, r, http.StatusOK)
	if got := r.text("#upload-limits"); !strings.HasPrefix(got, "Up to 500 files, 32 MB each, 256 MB in all.") {
		t.Fatalf("upload box says %q", got)
	}
}
