package jobs_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/notify"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

// New failed runs become one grouped delivery that the flush enqueues; the deliver job
// sends it to the webhook, and a refused attempt is retried by River with backoff.
func TestNotifyFlushAndDeliver(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	keys := secrets.NewKeyring("jobs-notify-test-key-0123456789")
	var mu sync.Mutex
	var bodies [][]byte
	fail := 1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if fail > 0 {
			fail--
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		bodies = append(bodies, b)
	}))
	defer srv.Close()
	ch, err := notify.SaveChannel(ctx, d.Bun, keys, audit.Actor{Name: "t"}, 0, notify.ChannelInput{Name: "Hook", Kind: notify.ChannelWebhook,
		URL: srv.URL, Secret: "0123456789abcdef", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := notify.SaveRule(ctx, d.Bun, audit.Actor{Name: "t"}, 0, notify.RuleInput{Name: "All", ChannelID: ch, Statuses: []string{"Failed"},
		GroupMinutes: "1", WorkingDays: []int{1, 2, 3, 4, 5, 6, 7}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	f := dbtest.Fixture(t, d)
	job := f.Customer("Acme").Job(dbtest.Job{Name: "Nightly"})
	err = d.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		if err := tx.NewRaw(`INSERT INTO job_runs (job_id, status, source_type, run_at) SELECT ?, 'Failed', 'email', now() - g * interval '1 minute'
			FROM generate_series(1, 40) g RETURNING id`, job.ID).Scan(ctx, &ids); err != nil {
			return err
		}
		return ingest.RunsCreated(ctx, tx, ids)
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(2 * time.Minute)
	sweep := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.NotifyFlushWorker{DB: d, BaseURL: "https://bc.example", Now: func() time.Time { return now }})
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := sweep.Work(ctx, t, tx, jobs.NotifyFlushArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	queued := rivertest.RequireManyInsertedTx[*riverpgxv5.Driver](ctx, t, tx, []rivertest.ExpectedJob{{Args: jobs.NotifyDeliverArgs{}}})
	if len(queued) != 1 {
		t.Fatalf("%d deliveries enqueued", len(queued))
	}
	var id int64
	if err := d.Bun.NewRaw("SELECT id FROM notify_deliveries").Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}

	deliver := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.NotifyDeliverWorker{DB: d, Keys: keys, Now: time.Now})
	res, err := deliver.Work(ctx, t, tx, jobs.NotifyDeliverArgs{DeliveryID: id}, nil)
	if err == nil || res.EventKind != river.EventKindJobFailed {
		t.Fatalf("refused attempt: %v %v", res, err)
	}
	if wait := time.Until(res.Job.ScheduledAt); wait < 30*time.Second || wait > 2*time.Minute {
		t.Errorf("retried in %v, want about a minute", wait)
	}
	res, err = deliver.Work(ctx, t, tx, jobs.NotifyDeliverArgs{DeliveryID: id}, &river.InsertOpts{})
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("second attempt: %v %v", res, err)
	}
	var st struct {
		Status   string
		Attempts int
	}
	if err := d.Bun.NewRaw("SELECT status, attempts FROM notify_deliveries WHERE id = ?", id).Scan(ctx, &st); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if st.Status != "sent" || len(bodies) != 1 {
		t.Fatalf("delivery %+v, %d bodies", st, len(bodies))
	}
}
