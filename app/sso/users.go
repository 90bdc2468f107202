package sso

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/db"
)

// candidate is a local user that an identity's names match.
type candidate struct {
	ID          int64   `bun:"id"`
	Username    string  `bun:"username"`
	Rank        int     `bun:"rank"` // how well it matches: lower is better
	EntraTenant *string `bun:"entra_tenant_id"`
	EntraOID    *string `bun:"entra_oid"`
}

// signIn finds the local user of a verified identity that passed the gates: the user
// linked to the Entra account, else the one whose username or email is one of the
// account's names (then linked), else a new Viewer when auto-provisioning is on. A
// deactivated user is refused. Records the login. Runs under a lock on the Entra
// account, so two first sign-ins of one account do not both create a user.
func signIn(ctx context.Context, bdb *bun.DB, cfg Config, id Identity, ip string, now time.Time) (*db.User, error) {
	var user *db.User
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('entra-account'), hashtext(? || '/' || ?))",
			id.TenantID, id.ObjectID); err != nil {
			return err
		}
		u, err := findUser(ctx, tx, cfg, id)
		if err != nil {
			return err
		}
		if !u.IsActive {
			return refuse(GateDeactivated, "User deactivated",
				fmt.Sprintf("The Backupchecks user %s is deactivated.", u.Username),
				"An admin can activate the user under Users.").with("user " + u.Username + " is deactivated")
		}
		if _, err := tx.NewUpdate().Model((*db.User)(nil)).Set("last_login_at = ?", now).Where("id = ?", u.ID).Exec(ctx); err != nil {
			return err
		}
		user = u
		return audit.Record(ctx, tx, audit.Actor{ID: u.ID, Name: u.Username, IP: ip}, audit.LoginSuccess, "user:"+u.Username,
			map[string]any{"method": "entra", "entra_account": id.SignInName(), "oid": id.ObjectID})
	})
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) {
			return nil, r
		}
		return nil, fmt.Errorf("sso: sign in %s: %w", id.SignInName(), err)
	}
	return user, nil
}

func findUser(ctx context.Context, tx bun.Tx, cfg Config, id Identity) (*db.User, error) {
	u := new(db.User)
	err := tx.NewSelect().Model(u).Where("entra_tenant_id = ? AND entra_oid = ?", id.TenantID, id.ObjectID).Scan(ctx)
	if err == nil {
		return u, nil // linked before: found whatever the account is called now
	}
	if !errors.Is(db.NotFound(err), db.ErrNotFound) {
		return nil, err
	}
	// The match ranks: username = sign-in name, username = email claim, email = sign-in
	// name, email = email claim. The best rank wins; usernames are unique, emails not.
	signInNames, email := id.names()
	all := append(slices.Clone(signInNames), email)
	if email == "" {
		all = signInNames
	}
	var cands []candidate
	if len(all) > 0 {
		if err := tx.NewRaw(`SELECT id, username, entra_tenant_id, entra_oid, CASE
				WHEN lower(username) IN (?0) THEN 0 WHEN lower(username) = ?1 THEN 1
				WHEN lower(email) IN (?0) THEN 2 ELSE 3 END AS rank
			FROM users WHERE lower(username) IN (?2) OR (email <> '' AND lower(email) IN (?2))
			ORDER BY rank, id`, bun.In(orNone(signInNames)), email, bun.In(all)).Scan(ctx, &cands); err != nil {
			return nil, err
		}
	}
	switch {
	case len(cands) == 0:
		return provision(ctx, tx, cfg, id)
	case len(cands) > 1 && cands[1].Rank == cands[0].Rank:
		return nil, refuse(GateAmbiguous, "Several users match",
			fmt.Sprintf("%d Backupchecks users match your account equally well (by its names or email), so it is not clear which one is yours.", len(cands)),
			"An admin can give the right user the username "+id.SignInName()+" under Users (a username match wins), or make the emails unique.").
			with(fmt.Sprintf("%d users match at rank %d", len(cands), cands[0].Rank))
	}
	c := cands[0]
	if c.EntraOID != nil {
		// Linked to another Entra account (the link above would have found this one): a
		// name reused in Entra must not take over the account of the one who had it.
		return nil, refuse(GateLinkedElsewhere, "User linked to another account",
			fmt.Sprintf("The Backupchecks user %s is linked to another Microsoft account, although it has the name of yours.", c.Username),
			"An admin must check who this is: a name reused in Entra does not take over the account of the person who had it. For a new person, an admin can create a user with another username (the email may be the same) under Users.").
			with("linked to " + *c.EntraTenant + "/" + *c.EntraOID)
	}
	if _, err := tx.NewUpdate().Model((*db.User)(nil)).Set("entra_tenant_id = ?", id.TenantID).Set("entra_oid = ?", id.ObjectID).
		Set("updated_at = now()").Where("id = ? AND entra_oid IS NULL", c.ID).Exec(ctx); err != nil {
		return nil, fmt.Errorf("link user %d: %w", c.ID, err)
	}
	if err := audit.Record(ctx, tx, audit.Actor{ID: c.ID, Name: c.Username}, audit.UserUpdated, "user:"+c.Username,
		map[string]any{"entra_linked": map[string]any{"account": id.SignInName(), "tenant_id": id.TenantID, "oid": id.ObjectID}}); err != nil {
		return nil, err
	}
	if err := tx.NewSelect().Model(u).Where("id = ?", c.ID).Scan(ctx); err != nil {
		return nil, err
	}
	return u, nil
}

// orNone keeps an IN list valid when it is empty.
func orNone(l []string) []string {
	if len(l) == 0 {
		return []string{""}
	}
	return l
}

// maxUsername is the longest username CreateUser accepts.
const maxUsername = 100

// provision creates a Viewer for an unknown account when auto-provisioning is on. The
// user has no password: they sign in with Microsoft (an admin may set one).
func provision(ctx context.Context, tx bun.Tx, cfg Config, id Identity) (*db.User, error) {
	name := id.SignInName()
	if !cfg.AutoProvision {
		return nil, refuse(GateUnknownUser, "No Backupchecks user",
			fmt.Sprintf("There is no Backupchecks user for %s, and new users are not created automatically.", name),
			"An admin can create a user with the username or email "+name+" under Users, or turn on auto-provisioning (new users become Viewers) under "+settingsPlace+".").
			with("no user named " + name)
	}
	switch {
	case name == "":
		return nil, provisionRefusal(name, "the token names no account")
	case utf8.RuneCountInString(name) > maxUsername:
		return nil, provisionRefusal(name, fmt.Sprintf("the name is longer than %d characters", maxUsername))
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }):
		return nil, provisionRefusal(name, "the name contains spaces or invisible characters")
	}
	email := ""
	for _, e := range []string{id.Email, name} {
		if a, err := mail.ParseAddress(e); err == nil && a.Address == e {
			email = e
			break
		}
	}
	display := strings.TrimSpace(id.Name)
	if utf8.RuneCountInString(display) > 200 {
		display = string([]rune(display)[:200])
	}
	u := new(db.User)
	err := tx.NewRaw(`INSERT INTO users (username, display_name, email, password_hash, roles, active_role, entra_tenant_id, entra_oid)
		VALUES (?, ?, ?, '', ARRAY[?]::text[], ?, ?, ?) ON CONFLICT DO NOTHING
		RETURNING id, username, display_name, email, password_hash, roles, active_role, theme, is_active, created_at, updated_at, last_login_at`,
		name, display, email, db.RoleViewer, db.RoleViewer, id.TenantID, id.ObjectID).Scan(ctx, u)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return nil, provisionRefusal(name, "a user with this name was created at the same moment; sign in again")
	}
	if err != nil {
		return nil, fmt.Errorf("provision %s: %w", name, err)
	}
	if err := audit.Record(ctx, tx, audit.Actor{Name: "entra"}, audit.UserCreated, "user:"+u.Username,
		map[string]any{"roles": u.Roles, "display_name": u.DisplayName, "email": u.Email, "auto_provisioned": true,
			"entra_linked": map[string]any{"tenant_id": id.TenantID, "oid": id.ObjectID}}); err != nil {
		return nil, err
	}
	return u, nil
}

func provisionRefusal(name, detail string) *Refusal {
	return refuse(GateProvision, "User could not be created",
		"A Backupchecks user for "+name+" could not be created: "+detail+".",
		"An admin can create the user under Users (username or email "+name+"); the next sign-in links it.").with(detail)
}
