package feedback_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/feedback"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// Images of each accepted type, made by the standard encoders (WebP by its header).
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var webpBytes = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

type fixture struct {
	d             *db.DB
	author, other audit.Actor
	admin         audit.Actor
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	d := dbtest.New(t)
	f := fixture{d: d}
	for i, name := range []string{"ann", "bob", "ada"} {
		role := db.RoleViewer
		if i == 2 {
			role = db.RoleAdmin
		}
		u, err := auth.CreateUser(t.Context(), d.Bun, audit.Actor{Name: "test"}, auth.NewUser{Username: name, Roles: []string{role}, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		a := audit.Actor{ID: u.ID, Name: name}
		switch i {
		case 0:
			f.author = a
		case 1:
			f.other = a
		default:
			f.admin = a
		}
	}
	return f
}

// TestUploadTypedByContent: images of the four raster types are stored as what their
// bytes are, whatever the file is called; anything else is refused beside the files
// field with its name, and nothing of the post is stored.
func TestUploadTypedByContent(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	accepted := []struct {
		name string
		data []byte
		want string
	}{
		{"screenshot.png", pngBytes(t), "image/png"},
		{"photo.jpg", jpegBytes(t), "image/jpeg"},
		{"anim.gif", gifBytes(t), "image/gif"},
		{"shot.webp", webpBytes, "image/webp"},
		{"misnamed.gif", pngBytes(t), "image/png"}, // the bytes decide
	}
	var files []feedback.File
	for _, a := range accepted {
		files = append(files, feedback.File{Name: a.name, Data: a.data})
	}
	id, err := feedback.Create(ctx, f.d.Bun, f.author, feedback.NewItem{Type: feedback.TypeBug, Title: "Broken page", Text: "See the screenshots", Files: files})
	if err != nil {
		t.Fatal(err)
	}
	d, err := feedback.Get(ctx, f.d.Bun, id, f.author.ID, false)
	if err != nil || len(d.Files) != len(accepted) {
		t.Fatalf("stored %d files, %v", len(d.Files), err)
	}
	for i, a := range accepted {
		got := d.Files[i]
		stored, err := feedback.FileData(ctx, f.d.Bun, got.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.ContentType != a.want || got.Filename != a.name || !bytes.Equal(stored.Data, a.data) || got.Size != int64(len(a.data)) {
			t.Errorf("%s stored as %s %q (%d bytes)", a.name, got.ContentType, got.Filename, got.Size)
		}
	}

	refused := []struct {
		name string
		data []byte
	}{
		{"evil.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
		{"page.png", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")},
		{"notes.txt", []byte("just text")},
		{"empty.png", nil},
		{"doc.pdf", []byte("%PDF-1.7\n")},
	}
	for _, r := range refused {
		_, err := feedback.Create(ctx, f.d.Bun, f.author, feedback.NewItem{Type: feedback.TypeIdea, Title: "With " + r.name,
			Files: []feedback.File{{Name: "ok.png", Data: pngBytes(t)}, {Name: r.name, Data: r.data}}})
		errs, ok := validation.As(err)
		if !ok || !strings.Contains(errs["files"], r.name) {
			t.Errorf("%s: %v, want a files error naming it", r.name, err)
		}
	}
	var items, stored int
	_ = f.d.Bun.NewRaw("SELECT (SELECT count(*) FROM feedback_items), (SELECT count(*) FROM feedback_attachments)").Scan(ctx, &items, &stored)
	if items != 1 || stored != len(accepted) {
		t.Fatalf("refused posts stored something: %d items, %d files", items, stored)
	}
	// A file name is shown, never used as a path, and stripped of control characters.
	id2, err := feedback.Create(ctx, f.d.Bun, f.author, feedback.NewItem{Type: feedback.TypeIdea, Title: "Names",
		Files: []feedback.File{{Name: "..\\..\\etc/pass\x00wd\n.png", Data: pngBytes(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := feedback.Get(ctx, f.d.Bun, id2, 0, false); d.Files[0].Filename != "pass\x00wd.png" && d.Files[0].Filename != "passwd.png" {
		t.Fatalf("file name kept as %q", d.Files[0].Filename)
	}
}

// TestUploadLimits: the per-file, per-post and per-item limits, checked before
// anything is stored; the item limit counts its replies' files too.
func TestUploadLimits(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	big := func(n int) []byte { return append(pngBytes(t), make([]byte, n)...) } // a PNG padded to n bytes and more

	_, err := feedback.Create(ctx, f.d.Bun, f.author, feedback.NewItem{Type: feedback.TypeBug, Title: "Too big",
		Files: []feedback.File{{Name: "huge.png", Data: big(feedback.MaxFileBytes)}}})
	if errs, ok := validation.As(err); !ok || !strings.Contains(errs["files"], "huge.png") || !strings.Contains(errs["files"], "at most") {
		t.Fatalf("a file over the limit: %v", err)
	}
	many := make([]feedback.File, feedback.MaxFiles+1)
	for i := range many {
		many[i] = feedback.File{Name: "s.png", Data: pngBytes(t)}
	}
	_, err = feedback.Create(ctx, f.d.Bun, f.author, feedback.NewItem{Type: feedback.TypeBug, Title: "Many", Files: many})
	if errs, ok := validation.As(err); !ok || errs["files"] == "" {
		t.Fatalf("%d files at once: %v", len(many), err)
	}

	// Four files of 4 MB on the item (16 MB), two on a reply (24 MB): the item is full,
	// so a third reply with one more is refused whole.
	four := func(n int) []feedback.File {
		out := make([]feedback.File, n)
		for i := range out {
			out[i] = feedback.File{Name: "part.png", Data: big(4 << 20)}
		}
		return out
	}
	id, err := feedback.Create(ctx, f.d.Bun, f.author, feedback.NewItem{Type: feedback.TypeBug, Title: "Screens", Files: four(4)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := feedback.Reply(ctx, f.d.Bun, f.other, id, "Same here", four(2)); err != nil {
		t.Fatal(err)
	}
	_, err = feedback.Reply(ctx, f.d.Bun, f.other, id, "And this", four(1))
	if errs, ok := validation.As(err); !ok || !strings.Contains(errs["files"], "in all") {
		t.Fatalf("over the item's limit: %v", err)
	}
	d, _ := feedback.Get(ctx, f.d.Bun, id, 0, false)
	if len(d.Replies) != 1 || len(d.Replies[0].Files) != 2 || len(d.Files) != 4 {
		t.Fatalf("after the refused reply: %d replies, item files %d", len(d.Replies), len(d.Files))
	}
	// A reply needs text or a file; the form's fields are checked too.
	if _, err := feedback.Reply(ctx, f.d.Bun, f.other, id, "  ", nil); err == nil {
		t.Fatal("an empty reply was stored")
	}
	_, err = feedback.Create(ctx, f.d.Bun, f.author, feedback.NewItem{Type: "feature", Title: " ", Text: strings.Repeat("x", feedback.MaxText+1)})
	if errs, ok := validation.As(err); !ok || errs["type"] == "" || errs["title"] == "" || errs["text"] == "" {
		t.Fatalf("bad fields: %v", err)
	}
}

// TestVotesAndStatus: one vote per user and item (voting again withdraws it); the
// status moves through open, planned, done, audited old → new.
func TestVotesAndStatus(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	id, err := feedback.Create(ctx, f.d.Bun, f.author, feedback.NewItem{Type: feedback.TypeIdea, Title: "Dark mode"})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		who   audit.Actor
		voted bool
		votes int
	}{{f.author, true, 1}, {f.other, true, 2}, {f.other, false, 1}, {f.other, true, 2}} {
		voted, err := feedback.Vote(ctx, f.d.Bun, step.who, id)
		if err != nil || voted != step.voted {
			t.Fatalf("%s votes: %v %v", step.who.Name, voted, err)
		}
		d, _ := feedback.Get(ctx, f.d.Bun, id, step.who.ID, false)
		if d.Votes != step.votes || d.Voted != step.voted {
			t.Fatalf("after %s: %d votes, voted %v", step.who.Name, d.Votes, d.Voted)
		}
	}
	if err := feedback.SetStatus(ctx, f.d.Bun, f.admin, id, feedback.StatusPlanned); err != nil {
		t.Fatal(err)
	}
	if err := feedback.SetStatus(ctx, f.d.Bun, f.admin, id, "resolved"); err == nil {
		t.Fatal("an unknown status was set")
	}
	p, err := feedback.List(ctx, f.d.Bun, feedback.Filter{Status: feedback.StatusPlanned, Viewer: f.other.ID, PerPage: 10})
	if err != nil || p.Total != 1 || p.Items[0].Votes != 2 || !p.Items[0].Voted {
		t.Fatalf("planned items: %+v %v", p, err)
	}
	e, _ := audit.Search(ctx, f.d.Bun, audit.Filter{Type: feedback.ActionStatusChanged}, 1, 5)
	if len(e.Entries) != 1 || e.Entries[0].Details["status"] == nil {
		t.Fatalf("status change audit: %+v", e.Entries)
	}
}

// TestDeleteRules: the author or an admin deletes softly (another user may not); a
// deleted item is gone for everyone but admins (votes and replies refused); only an
// admin purges, only a deleted item, and its replies, votes and files go with it.
func TestDeleteRules(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	id, err := feedback.Create(ctx, f.d.Bun, f.author, feedback.NewItem{Type: feedback.TypeBug, Title: "Crash",
		Files: []feedback.File{{Name: "a.png", Data: pngBytes(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := feedback.Reply(ctx, f.d.Bun, f.other, id, "Me too", []feedback.File{{Name: "b.png", Data: pngBytes(t)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := feedback.Vote(ctx, f.d.Bun, f.other, id); err != nil {
		t.Fatal(err)
	}
	d, _ := feedback.Get(ctx, f.d.Bun, id, 0, false)
	fileID := d.Files[0].ID

	if err := feedback.Delete(ctx, f.d.Bun, f.other, id, false); !errors.Is(err, feedback.ErrNotAllowed) {
		t.Fatalf("someone else deletes: %v", err)
	}
	if err := feedback.Purge(ctx, f.d.Bun, f.admin, id); !errors.Is(err, feedback.ErrNotAllowed) {
		t.Fatalf("purge before a soft delete: %v", err)
	}
	if err := feedback.Delete(ctx, f.d.Bun, f.author, id, false); err != nil {
		t.Fatalf("the author deletes: %v", err)
	}
	if _, err := feedback.Get(ctx, f.d.Bun, id, 0, false); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("a deleted item is still shown: %v", err)
	}
	if _, err := feedback.FileData(ctx, f.d.Bun, fileID, false); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("a deleted item's file is still served: %v", err)
	}
	if d, err := feedback.Get(ctx, f.d.Bun, id, 0, true); err != nil || d.DeletedAt == nil || d.DeletedBy != "ann" {
		t.Fatalf("admins see the deleted item: %+v %v", d, err)
	}
	if _, err := feedback.Reply(ctx, f.d.Bun, f.other, id, "late", nil); !errors.Is(err, feedback.ErrNotAllowed) {
		t.Fatalf("reply to a deleted item: %v", err)
	}
	if _, err := feedback.Vote(ctx, f.d.Bun, f.author, id); !errors.Is(err, feedback.ErrNotAllowed) {
		t.Fatalf("vote on a deleted item: %v", err)
	}
	p, _ := feedback.List(ctx, f.d.Bun, feedback.Filter{Deleted: true, PerPage: 10})
	if p.Total != 1 {
		t.Fatalf("deleted list has %d", p.Total)
	}
	// Restored by an admin, deleted by an admin (not the author), then purged.
	if err := feedback.Restore(ctx, f.d.Bun, f.admin, id); err != nil {
		t.Fatal(err)
	}
	if err := feedback.Delete(ctx, f.d.Bun, f.admin, id, true); err != nil {
		t.Fatal(err)
	}
	if err := feedback.Purge(ctx, f.d.Bun, f.admin, id); err != nil {
		t.Fatal(err)
	}
	var left int
	_ = f.d.Bun.NewRaw(`SELECT (SELECT count(*) FROM feedback_items) + (SELECT count(*) FROM feedback_replies)
		+ (SELECT count(*) FROM feedback_votes) + (SELECT count(*) FROM feedback_attachments)`).Scan(ctx, &left)
	if left != 0 {
		t.Fatalf("%d rows of the purged item left", left)
	}
	for _, a := range []string{feedback.ActionDeleted, feedback.ActionRestored, feedback.ActionPurged} {
		if e, _ := audit.Search(ctx, f.d.Bun, audit.Filter{Type: a}, 1, 5); e.Total == 0 {
			t.Errorf("%s not audited", a)
		}
	}
	if err := feedback.Delete(ctx, f.d.Bun, f.admin, id, true); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("delete of a purged item: %v", err)
	}
}
