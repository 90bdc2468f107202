package app

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/db"
)

// testPNG is a small real PNG image.
func testPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 3, 3))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postMultipart submits a form with files as a browser's plain form post does.
func (c *client) postMultipart(path string, fields map[string]string, files map[string][]byte) *response {
	c.h.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", c.csrf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	for name, data := range files {
		part, _ := w.CreateFormFile("files", name)
		_, _ = part.Write(data)
	}
	w.Close()
	req, _ := http.NewRequest("POST", c.h.url+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return c.parse(resp, string(b))
}

// TestFeedbackBoard: every role posts with screenshots, votes and replies; a file
// that is no image is refused beside the field and the form comes back; images are
// served as the type of their bytes, never as something a browser runs; the delete
// rules hold over HTTP (someone else's item: 403; purge: admins, after a delete).
func TestFeedbackBoard(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ada", db.RoleAdmin)
	h.user("vic", db.RoleViewer)
	h.user("rita", db.RoleReporter)
	admin, viewer, reporter := h.client(), h.client(), h.client()
	admin.login("ada")
	viewer.login("vic")
	reporter.login("rita")

	// A refused file: the form is shown again, open, with the message by the files.
	viewer.get("/feedback")
	r := viewer.postMultipart("/feedback", map[string]string{"type": "bug", "title": "Crash on save"},
		map[string][]byte{"evil.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.text("#feedback-files-error"), "evil.svg is not a PNG, JPEG, GIF or WebP image") ||
		r.doc.Find("#feedback-new[open]").Length() != 1 || r.doc.Find("#f-title").AttrOr("value", "") != "Crash on save" {
		t.Fatalf("refused upload:\n%s", r.text("#feedback-new"))
	}

	// Posted with a screenshot (named .gif, a PNG by its bytes).
	r = viewer.postMultipart("/feedback", map[string]string{"type": "bug", "title": "Crash on save", "text": "Steps: <b>save</b>"},
		map[string][]byte{"shot.gif": testPNG(t)})
	wantStatus(t, r, http.StatusSeeOther)
	item := r.Header.Get("Location")
	r = viewer.get(item)
	wantStatus(t, r, http.StatusOK)
	// The heading's own text, without its "?" (the link to the documentation).
	title := strings.TrimSpace(r.doc.Find("h1").First().Clone().Children().Remove().End().Text())
	if title != "Crash on save" || !strings.Contains(r.text(".feedback-text"), "Steps: <b>save</b>") || r.doc.Find(".feedback-text b").Length() != 0 {
		t.Fatalf("item page: %q %q", title, r.text(".feedback-text"))
	}
	src, ok := r.doc.Find("#feedback-item .feedback-thumb img").Attr("src")
	if !ok {
		t.Fatal("no thumbnail")
	}
	img := viewer.get(src)
	wantStatus(t, img, http.StatusOK)
	if img.Header.Get("Content-Type") != "image/png" || img.Header.Get("X-Content-Type-Options") != "nosniff" ||
		img.Header.Get("Content-Security-Policy") != "default-src 'none'; sandbox" || !bytes.Equal([]byte(img.body), testPNG(t)) {
		t.Fatalf("image served with %v", img.Header)
	}

	// The reporter votes and replies with a pasted screenshot's name.
	reporter.get(item)
	wantStatus(t, reporter.hx("POST", item+"/vote", nil), http.StatusOK)
	r = reporter.postMultipart(item+"/replies", map[string]string{"text": "Same here"}, map[string][]byte{"pasted-1.png": testPNG(t)})
	wantStatus(t, r, http.StatusSeeOther)
	r = admin.get(item)
	if r.text(".feedback-votes") != "1" || r.doc.Find("#feedback-replies li").Length() != 1 || r.doc.Find("#feedback-replies img").Length() != 1 {
		t.Fatalf("after the vote and reply: votes %q, replies %d", r.text(".feedback-votes"), r.doc.Find("#feedback-replies li").Length())
	}

	// Only the admin sets the status.
	wantStatus(t, viewer.post(item+"/status", url.Values{"status": {"planned"}}), http.StatusForbidden)
	wantStatus(t, admin.post(item+"/status", url.Values{"status": {"planned"}}), http.StatusSeeOther)
	if s := viewer.get(item).text("#feedback-status"); s != "Planned" {
		t.Fatalf("status %q", s)
	}

	// Someone else's item may not be deleted; the admin's purge waits for a delete.
	reporter.get(item)
	if r := reporter.post(item+"/delete", nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("someone else deletes: %d", r.StatusCode)
	}
	admin.get(item)
	wantStatus(t, admin.post(item+"/purge", nil), http.StatusConflict)
	viewer.get(item)
	wantStatus(t, viewer.post(item+"/delete", nil), http.StatusSeeOther)
	wantStatus(t, viewer.get(item), http.StatusNotFound)
	wantStatus(t, viewer.get(src), http.StatusNotFound)
	if r := admin.get("/feedback?deleted=1"); r.doc.Find("#feedback-items li").Length() != 1 {
		t.Fatal("the admin does not see the deleted item")
	}
	if r := viewer.get("/feedback?deleted=1"); r.doc.Find("#feedback-items li").Length() != 0 || strings.Contains(r.body, "No deleted items") {
		t.Fatal("a viewer sees deleted items")
	}
	r = admin.get(item)
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#feedback-purge").Length() != 1 {
		t.Fatal("no permanent delete for the admin on a deleted item")
	}
	wantStatus(t, admin.post(item+"/purge", nil), http.StatusSeeOther)
	wantStatus(t, admin.get(item), http.StatusNotFound)
	var left int
	_ = h.db.Bun.NewRaw("SELECT count(*) FROM feedback_attachments").Scan(t.Context(), &left)
	if left != 0 {
		t.Fatalf("%d attachments left after the purge", left)
	}
	if a := admin.get(fmt.Sprintf("/audit?type=%s", url.QueryEscape("feedback."))); a.doc.Find("#audit-table tbody tr").Length() < 6 {
		t.Fatalf("feedback actions not audited: %d entries", a.doc.Find("#audit-table tbody tr").Length())
	}
}
