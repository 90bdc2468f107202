package auth

import (
	"context"
	"database/sql"
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
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// NewUser is what is needed to create a user.
type NewUser struct {
	Username    string
	DisplayName string
	Email       string
	Roles       []string
	Password    string
}

// UserChanges are the fields an admin edits on an existing user.
type UserChanges struct {
	DisplayName string
	Email       string
	Roles       []string
}

// ErrSetupDone is returned when the first admin is created but users already exist.
var ErrSetupDone = errors.New("auth: setup already done")

// ErrLastAdmin stops a change that would leave no active admin.
var ErrLastAdmin = errors.New("at least one active admin must remain")

func validateProfile(errs validation.Errors, displayName, email string, roles []string) {
	if len(displayName) > 200 {
		errs.Add("display_name", "use at most 200 characters")
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			errs.Add("email", "enter an address like name@example.com")
		}
	}
	if len(roles) == 0 {
		errs.Add("roles", "choose at least one role")
	}
	for _, r := range roles {
		if !slices.Contains(db.AllRoles, r) {
			errs.Add("roles", fmt.Sprintf("unknown role %q", r))
		}
	}
}

func normaliseRoles(roles []string) []string {
	out := make([]string, 0, len(roles))
	for _, r := range db.AllRoles { // keep the canonical order, drop duplicates
		if slices.Contains(roles, r) {
			out = append(out, r)
		}
	}
	for _, r := range roles {
		if !slices.Contains(db.AllRoles, r) {
			out = append(out, r) // kept so validation can name it
		}
	}
	return out
}

// CreateUser validates u and inserts it. Field problems come back as validation.Errors.
func CreateUser(ctx context.Context, idb bun.IDB, actor audit.Actor, u NewUser) (*db.User, error) {
	u.Username = strings.TrimSpace(u.Username)
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	u.Email = strings.TrimSpace(u.Email)
	u.Roles = normaliseRoles(u.Roles)
	errs := validation.Errors{}
	switch {
	case u.Username == "":
		errs.Add("username", "enter a username")
	case len(u.Username) > 100:
		errs.Add("username", "use at most 100 characters")
	case strings.ContainsFunc(u.Username, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
	}):
		errs.Add("username", "a username cannot contain spaces or invisible characters")
	}
	validateProfile(errs, u.DisplayName, u.Email, u.Roles)
	if err := CheckPasswordPolicy(u.Password, u.Username); err != nil {
		errs.Add("password", err.Error())
	}
	if errs["username"] == "" {
		taken, err := idb.NewSelect().Model((*db.User)(nil)).Where("lower(username) = lower(?)", u.Username).Exists(ctx)
		if err != nil {
			return nil, fmt.Errorf("auth: create user: %w", err)
		}
		if taken {
			errs.Add("username", "this username is taken")
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(u.Password)
	if err != nil {
		return nil, err
	}
	user := &db.User{
		Username: u.Username, DisplayName: u.DisplayName, Email: u.Email,
		PasswordHash: hash, Roles: u.Roles, ActiveRole: u.Roles[0], Theme: "auto", IsActive: true,
	}
	if _, err := idb.NewInsert().Model(user).Returning("*").Exec(ctx); err != nil {
		return nil, fmt.Errorf("auth: create user %q: %w", u.Username, err)
	}
	if err := audit.Record(ctx, idb, actor, audit.UserCreated, "user:"+user.Username,
		map[string]any{"roles": user.Roles, "display_name": user.DisplayName, "email": user.Email}); err != nil {
		return nil, err
	}
	return user, nil
}

// CreateFirstAdmin creates the first user, an admin, only while no user exists. The
// table lock makes two simultaneous setups end with one admin and one ErrSetupDone.
func CreateFirstAdmin(ctx context.Context, bdb *bun.DB, ip string, u NewUser) (*db.User, error) {
	var user *db.User
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "LOCK TABLE users IN EXCLUSIVE MODE"); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*db.User)(nil)).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrSetupDone
		}
		u.Roles = []string{db.RoleAdmin}
		user, err = CreateUser(ctx, tx, audit.Actor{Name: "setup", IP: ip}, u)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Actor{ID: user.ID, Name: user.Username, IP: ip}, audit.SetupAdmin, "user:"+user.Username, nil)
	})
	if err != nil {
		return nil, err
	}
	return user, nil
}

// HasUsers reports whether any user exists (setup is done).
func HasUsers(ctx context.Context, idb bun.IDB) (bool, error) {
	ok, err := idb.NewSelect().Model((*db.User)(nil)).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("auth: has users: %w", err)
	}
	return ok, nil
}

// GetUser loads a user by id.
func GetUser(ctx context.Context, idb bun.IDB, id int64) (*db.User, error) {
	u := new(db.User)
	if err := idb.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("auth: get user %d: %w", id, db.NotFound(err))
	}
	return u, nil
}

// GetUserByUsername loads a user by username (case-insensitive).
func GetUserByUsername(ctx context.Context, idb bun.IDB, username string) (*db.User, error) {
	u := new(db.User)
	if err := idb.NewSelect().Model(u).Where("lower(username) = lower(?)", strings.TrimSpace(username)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("auth: get user %q: %w", username, db.NotFound(err))
	}
	return u, nil
}

// ListUsers returns every user, active ones first, then by username.
func ListUsers(ctx context.Context, idb bun.IDB) ([]db.User, error) {
	var users []db.User
	if err := idb.NewSelect().Model(&users).Order("is_active DESC").OrderExpr("lower(username)").Scan(ctx); err != nil {
		return nil, fmt.Errorf("auth: list users: %w", err)
	}
	return users, nil
}

// UpdateUser changes a user's name, email and roles. If the active role is no longer
// held, the user switches to their first remaining role.
func UpdateUser(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64, ch UserChanges) (*db.User, error) {
	ch.DisplayName = strings.TrimSpace(ch.DisplayName)
	ch.Email = strings.TrimSpace(ch.Email)
	ch.Roles = normaliseRoles(ch.Roles)
	errs := validation.Errors{}
	validateProfile(errs, ch.DisplayName, ch.Email, ch.Roles)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	var user *db.User
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old, err := lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.HasRole(db.RoleAdmin) && !slices.Contains(ch.Roles, db.RoleAdmin) && old.IsActive {
			if err := ensureOtherAdmin(ctx, tx, id); err != nil {
				return validation.Errors{"roles": err.Error()}
			}
		}
		changes := audit.Changes{}
		changes.Add("display_name", old.DisplayName, ch.DisplayName)
		changes.Add("email", old.Email, ch.Email)
		changes.Add("roles", strings.Join(old.Roles, ","), strings.Join(ch.Roles, ","))
		active := old.ActiveRole
		if !slices.Contains(ch.Roles, active) {
			active = ch.Roles[0]
		}
		user = old
		user.DisplayName, user.Email, user.Roles, user.ActiveRole = ch.DisplayName, ch.Email, ch.Roles, active
		if _, err := tx.NewUpdate().Model(user).Column("display_name", "email", "roles", "active_role").
			Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.UserUpdated, "user:"+user.Username, changes)
	})
	if err != nil {
		return nil, fmt.Errorf("auth: update user %d: %w", id, err)
	}
	return user, nil
}

// SetActive activates or deactivates a user. Deactivating ends their sessions; the
// last active admin cannot be deactivated.
func SetActive(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64, active bool) (*db.User, error) {
	var user *db.User
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u, err := lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if !active && u.IsActive && u.HasRole(db.RoleAdmin) {
			if err := ensureOtherAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		u.IsActive = active
		if _, err := tx.NewUpdate().Model(u).Column("is_active").Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
			return err
		}
		action := audit.UserActivated
		if !active {
			action = audit.UserDeactivated
			if _, err := tx.NewDelete().Model((*db.Session)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
				return err
			}
		}
		user = u
		return audit.Record(ctx, tx, actor, action, "user:"+u.Username, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("auth: set user %d active=%v: %w", id, active, err)
	}
	return user, nil
}

// ResetPassword sets a new password for a user (by an admin) and ends their sessions.
func ResetPassword(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64, password string) error {
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u, err := lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := CheckPasswordPolicy(password, u.Username); err != nil {
			return validation.Errors{"password": err.Error()}
		}
		if err := setPassword(ctx, tx, u.ID, password); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*db.Session)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("auth: end sessions: %w", err)
		}
		return audit.Record(ctx, tx, actor, audit.UserPassword, "user:"+u.Username, nil)
	})
}

// ChangeOwnPassword checks the current password and sets a new one. Other sessions of
// the user end; keepSession (the caller's own token hash) stays.
func ChangeOwnPassword(ctx context.Context, bdb *bun.DB, actor audit.Actor, current, next, confirm string, keepSession []byte) error {
	errs := validation.Errors{}
	u, err := GetUser(ctx, bdb, actor.ID)
	if err != nil {
		return err
	}
	if !VerifyPassword(u.PasswordHash, current) {
		errs.Add("current_password", "this is not your current password")
	}
	if err := CheckPasswordPolicy(next, u.Username); err != nil {
		errs.Add("new_password", err.Error())
	} else if next != confirm {
		errs.Add("confirm_password", "the two new passwords differ")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := setPassword(ctx, tx, u.ID, next); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*db.Session)(nil)).Where("user_id = ? AND token_hash <> ?", u.ID, keepSession).Exec(ctx); err != nil {
			return fmt.Errorf("auth: end other sessions: %w", err)
		}
		return audit.Record(ctx, tx, actor, audit.PasswordChanged, "user:"+u.Username, nil)
	})
}

func setPassword(ctx context.Context, idb bun.IDB, id int64, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if _, err := idb.NewUpdate().Model((*db.User)(nil)).Set("password_hash = ?", hash).Set("updated_at = now()").
		Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("auth: set password of user %d: %w", id, err)
	}
	return nil
}

// SwitchRole makes role the user's active role (remembered across logins).
func SwitchRole(ctx context.Context, idb bun.IDB, actor audit.Actor, role string) error {
	res, err := idb.NewUpdate().Model((*db.User)(nil)).Set("active_role = ?", role).
		Where("id = ? AND ? = ANY (roles)", actor.ID, role).Exec(ctx)
	if err != nil {
		return fmt.Errorf("auth: switch role: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return validation.Errors{"role": "you do not hold the role " + role}
	}
	return audit.Record(ctx, idb, actor, audit.ActiveRoleSwitch, "", map[string]any{"role": role})
}

// Themes a user may choose.
var Themes = []string{"auto", "light", "dark"}

// SetTheme stores the user's colour theme.
func SetTheme(ctx context.Context, idb bun.IDB, userID int64, theme string) error {
	if !slices.Contains(Themes, theme) {
		return validation.Errors{"theme": "choose auto, light or dark"}
	}
	if _, err := idb.NewUpdate().Model((*db.User)(nil)).Set("theme = ?", theme).Where("id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("auth: set theme: %w", err)
	}
	return nil
}

func lockUser(ctx context.Context, tx bun.Tx, id int64) (*db.User, error) {
	u := new(db.User)
	if err := tx.NewSelect().Model(u).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, db.ErrNotFound
		}
		return nil, err
	}
	return u, nil
}

// ensureOtherAdmin fails unless an active admin other than id exists. Admin rows are
// locked so two concurrent demotions cannot both pass.
func ensureOtherAdmin(ctx context.Context, tx bun.Tx, id int64) error {
	var others []int64
	if err := tx.NewSelect().Model((*db.User)(nil)).Column("id").
		Where("id <> ? AND is_active AND 'admin' = ANY (roles)", id).For("UPDATE").Scan(ctx, &others); err != nil {
		return err
	}
	if len(others) == 0 {
		return ErrLastAdmin
	}
	return nil
}

// touchLogin records a successful login time.
// PreviousLogin returns when the user signed in before their latest login (nil if
// never), from the audit trail: the latest login is usually the session looking.
func PreviousLogin(ctx context.Context, idb bun.IDB, userID int64) (*time.Time, error) {
	var at []time.Time
	err := idb.NewRaw(`SELECT at FROM audit_log WHERE actor_id = ? AND action = ?
		ORDER BY at DESC OFFSET 1 LIMIT 1`, userID, audit.LoginSuccess).Scan(ctx, &at)
	if err != nil {
		return nil, fmt.Errorf("auth: previous login of %d: %w", userID, err)
	}
	if len(at) == 0 {
		return nil, nil
	}
	return &at[0], nil
}

func touchLogin(ctx context.Context, idb bun.IDB, id int64, at time.Time) error {
	_, err := idb.NewUpdate().Model((*db.User)(nil)).Set("last_login_at = ?", at).Where("id = ?", id).Exec(ctx)
	return err
}
