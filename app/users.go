package app

import (
	"errors"
	"fmt"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/validation"
	usersview "github.com/backupchecks/backupchecks/components/users"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

// userRows makes the table rows of list: who is locked out and, for the user looking,
// their previous login.
func (a *App) userRows(c *fiber.Ctx, list ...db.User) ([]usersview.Row, error) {
	ctx, self := c.UserContext(), currentUser(c).ID
	locked, err := a.throttle.LockedUsers(ctx, a.db.Bun, a.now())
	if err != nil {
		return nil, err
	}
	rows := make([]usersview.Row, len(list))
	for i, u := range list {
		rows[i] = usersview.Row{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Email: u.Email, Roles: u.Roles,
			IsActive: u.IsActive, LastLoginAt: u.LastLoginAt, IsSelf: u.ID == self}
		if until, ok := locked[u.ID]; ok {
			until = ceilMinute(until)
			rows[i].LockedUntil = &until
		}
		if u.ID == self {
			if rows[i].PreviousLoginAt, err = auth.PreviousLogin(ctx, a.db.Bun, u.ID); err != nil {
				return nil, err
			}
		}
	}
	return rows, nil
}

// userRow is one user's row, after a change to it.
func (a *App) userRow(c *fiber.Ctx, u *db.User) (templ.Component, error) {
	rows, err := a.userRows(c, *u)
	if err != nil {
		return nil, err
	}
	return usersview.RowView(a.view(c), rows[0]), nil
}

func (a *App) usersPage(c *fiber.Ctx) error {
	list, err := auth.ListUsers(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	rows, err := a.userRows(c, list...)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return usersview.Page(v, rows) }, usersview.Table(a.view(c), rows))
}

func (a *App) userNewForm(c *fiber.Ctx) error {
	return a.renderFragment(c, fiber.StatusOK, usersview.FormModal(a.view(c), usersview.Form{Roles: []string{db.RoleOperator}}))
}

// formRoles reads the checked role boxes.
func formRoles(c *fiber.Ctx) []string {
	var roles []string
	for _, r := range c.Request().PostArgs().PeekMulti("roles") {
		roles = append(roles, string(r))
	}
	return roles
}

func (a *App) userCreate(c *fiber.Ctx) error {
	in := auth.NewUser{Username: c.FormValue("username"), DisplayName: c.FormValue("display_name"),
		Email: c.FormValue("email"), Roles: formRoles(c), Password: c.FormValue("password")}
	u, err := auth.CreateUser(c.UserContext(), a.db.Bun, a.actor(c), in)
	if errs, ok := validation.As(err); ok {
		f := usersview.Form{Username: in.Username, DisplayName: in.DisplayName, Email: in.Email, Roles: in.Roles, Errors: errs}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, usersview.FormModal(a.view(c), f))
	}
	if err != nil {
		return err
	}
	row, err := a.userRow(c, u)
	if err != nil {
		return err
	}
	trigger(c, map[string]any{"closeModal": true})
	retarget(c, "#users-rows", "beforeend")
	return a.renderFragment(c, fiber.StatusOK, row, success(fmt.Sprintf("User %s created.", u.Username)))
}

func (a *App) userEditForm(c *fiber.Ctx) error {
	u, err := a.userParam(c)
	if err != nil {
		return err
	}
	f := usersview.Form{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Email: u.Email, Roles: u.Roles}
	return a.renderFragment(c, fiber.StatusOK, usersview.FormModal(a.view(c), f))
}

func (a *App) userUpdate(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil {
		return fiber.ErrNotFound
	}
	ch := auth.UserChanges{DisplayName: c.FormValue("display_name"), Email: c.FormValue("email"), Roles: formRoles(c)}
	u, err := auth.UpdateUser(c.UserContext(), a.db.Bun, a.actor(c), int64(id), ch)
	if errs, ok := validation.As(err); ok {
		f := usersview.Form{ID: int64(id), DisplayName: ch.DisplayName, Email: ch.Email, Roles: ch.Roles, Errors: errs}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, usersview.FormModal(a.view(c), f))
	}
	if err != nil {
		return err
	}
	row, err := a.userRow(c, u)
	if err != nil {
		return err
	}
	trigger(c, map[string]any{"closeModal": true})
	retarget(c, fmt.Sprintf("#user-%d", u.ID), "outerHTML")
	return a.renderFragment(c, fiber.StatusOK, row, success(fmt.Sprintf("User %s saved.", u.Username)))
}

func (a *App) userPasswordForm(c *fiber.Ctx) error {
	u, err := a.userParam(c)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, usersview.PasswordModal(a.view(c), u.ID, u.Username, ""))
}

func (a *App) userPasswordReset(c *fiber.Ctx) error {
	u, err := a.userParam(c)
	if err != nil {
		return err
	}
	err = auth.ResetPassword(c.UserContext(), a.db.Bun, a.actor(c), u.ID, c.FormValue("password"))
	if errs, ok := validation.As(err); ok {
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, usersview.PasswordModal(a.view(c), u.ID, u.Username, errs["password"]))
	}
	if err != nil {
		return err
	}
	trigger(c, map[string]any{"closeModal": true})
	c.Set("HX-Reswap", "none")
	return a.renderFragment(c, fiber.StatusOK, templ.NopComponent,
		success(fmt.Sprintf("Password of %s reset; their sessions have ended.", u.Username)))
}

func (a *App) userDeactivate(c *fiber.Ctx) error { return a.userSetActive(c, false) }
func (a *App) userActivate(c *fiber.Ctx) error   { return a.userSetActive(c, true) }

func (a *App) userSetActive(c *fiber.Ctx, active bool) error {
	id, err := c.ParamsInt("id")
	if err != nil {
		return fiber.ErrNotFound
	}
	if int64(id) == currentUser(c).ID && !active {
		return fiber.NewError(fiber.StatusConflict, "You cannot deactivate yourself.")
	}
	u, err := auth.SetActive(c.UserContext(), a.db.Bun, a.actor(c), int64(id), active)
	if errors.Is(err, auth.ErrLastAdmin) {
		return fiber.NewError(fiber.StatusConflict, "This is the last active admin: make someone else an admin first.")
	}
	if err != nil {
		return err
	}
	msg := "User %s activated."
	if !active {
		msg = "User %s deactivated; their sessions have ended."
	}
	row, err := a.userRow(c, u)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, row, success(fmt.Sprintf(msg, u.Username)))
}

// userUnlock lifts a lockout by failed logins: the user can sign in at once.
func (a *App) userUnlock(c *fiber.Ctx) error {
	u, err := a.userParam(c)
	if err != nil {
		return err
	}
	if _, err := auth.Unlock(c.UserContext(), a.db.Bun, a.actor(c), u.ID); err != nil {
		return err
	}
	row, err := a.userRow(c, u)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, row, success(fmt.Sprintf("User %s unlocked: they can log in again now.", u.Username)))
}

func (a *App) userParam(c *fiber.Ctx) (*db.User, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	return auth.GetUser(c.UserContext(), a.db.Bun, id)
}
