package sso

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Gates and other reasons a sign-in with Entra is refused; each is recorded in the
// audit log as the "gate" of the failed sign-in.
const (
	GateDisabled        = "disabled"         // sign-in with Entra is off
	GateConfiguration   = "configuration"    // settings incomplete, BASE_URL missing, tenant unreachable
	GateBusy            = "busy"             // too many sign-ins started from one address
	GateState           = "state"            // no sign-in under way for this state and browser (replayed, expired, forged)
	GateEntra           = "entra"            // Entra answered with an error instead of a code
	GateExchange        = "exchange"         // the code could not be exchanged for tokens
	GateToken           = "token"            // the ID token failed verification
	GateTenant          = "tenant"           // the token's tenant is not the configured one
	GateDomain          = "domain"           // the account's domain is not allowed
	GateGroup           = "group"            // the account is in none of the allowed groups
	GateGroupsMissing   = "groups-missing"   // groups are required but the token has no groups claim
	GateGroupsOverage   = "groups-overage"   // groups are required but did not fit in the token
	GateUnknownUser     = "unknown-user"     // no local user and auto-provisioning is off
	GateDeactivated     = "deactivated"      // the local user is deactivated
	GateLinkedElsewhere = "linked-elsewhere" // the local user is linked to another Entra account
	GateAmbiguous       = "ambiguous"        // several local users share the account's email
	GateProvision       = "provision"        // the new user could not be created
)

// settingsPlace is where an admin changes the sign-in settings.
const settingsPlace = "Settings → Integrations → Microsoft Entra sign-in"

// Refusal is a sign-in refused at a gate, with what the user is told: what happened
// and what an admin can do about it. Detail is the technical reason (for the audit
// log and the page's small print).
type Refusal struct {
	Gate    string
	Title   string
	Message string
	Fix     string
	Detail  string
	Status  int
	User    string // the sign-in name, when the token was read
}

func (r *Refusal) Error() string {
	s := "sso: sign-in refused at gate " + r.Gate
	if r.Detail != "" {
		s += ": " + r.Detail
	}
	return s
}

func refuse(gate, title, message, fix string) *Refusal {
	return &Refusal{Gate: gate, Title: title, Message: message, Fix: fix, Status: http.StatusForbidden}
}

func (r *Refusal) with(detail string) *Refusal { r.Detail = detail; return r }

func (r *Refusal) status(s int) *Refusal { r.Status = s; return r }

func disabledRefusal() *Refusal {
	return refuse(GateDisabled, "Sign-in with Microsoft is off",
		"Sign-in with Microsoft is not turned on for Backupchecks.",
		"An admin can turn it on under "+settingsPlace+". Until then, sign in with your username and password.").status(http.StatusNotFound)
}

func configRefusal(detail string) *Refusal {
	return refuse(GateConfiguration, "Sign-in with Microsoft is not set up",
		"Sign-in with Microsoft cannot start: "+detail+".",
		"An admin can complete the settings under "+settingsPlace+" and check them with Test configuration there.").
		with(detail).status(http.StatusServiceUnavailable)
}

func stateRefusal(detail string) *Refusal {
	return refuse(GateState, "This sign-in has expired",
		"This sign-in does not match one started in this browser: it was already completed, it is older than 10 minutes, or it was started in another browser.",
		"Start again with Sign in with Microsoft. If this happens every time, an admin can check that BASE_URL is exactly the address you open Backupchecks at (the sign-in cookie belongs to that address).").
		with(detail).status(http.StatusBadRequest)
}

// entraRefusal explains an error Entra sent back instead of a code; the AADSTS code
// in its description says who must do what.
func entraRefusal(code, description string, site Site) *Refusal {
	desc, _, _ := strings.Cut(description, "\n")
	desc = strings.TrimSpace(desc)
	if len(desc) > 400 {
		desc = desc[:400] + "…"
	}
	r := refuse(GateEntra, "Microsoft did not sign you in",
		"Microsoft Entra ended the sign-in with an error: "+code+": "+desc,
		"An admin can look the code (AADSTS…) up in the Entra admin center under Sign-in logs.")
	switch {
	case strings.Contains(desc, "AADSTS50105"):
		r.Fix = "Your account is not assigned to the Backupchecks application. An admin can assign you (or one of your groups) in the Entra admin center under Enterprise applications → Backupchecks → Users and groups."
	case strings.Contains(desc, "AADSTS50011"):
		r.Fix = "The app registration does not list this redirect URI. An admin can add " + site.RedirectURI() + " under App registrations → Backupchecks → Authentication → Web → Redirect URIs."
	case strings.Contains(desc, "AADSTS65001"), strings.Contains(desc, "AADSTS90094"):
		r.Fix = "The app needs consent. An admin can grant admin consent under App registrations → Backupchecks → API permissions."
	case code == "access_denied":
		r.Message = "The sign-in was cancelled or refused at Microsoft (" + desc + ")."
		r.Fix = "Start again with Sign in with Microsoft. If you did not cancel, an admin can look the sign-in up in the Entra admin center under Sign-in logs."
	}
	return r.with(code + ": " + desc)
}

func exchangeRefusal(detail string) *Refusal {
	r := refuse(GateExchange, "Microsoft did not complete the sign-in",
		"Backupchecks could not exchange the sign-in code with Microsoft Entra: "+detail+".",
		"An admin can check the client secret under "+settingsPlace+" (Test configuration says whether it still works; secrets expire) and that the server can reach Microsoft.")
	if strings.Contains(detail, "AADSTS7000222") || strings.Contains(detail, "AADSTS7000215") {
		r.Fix = "The client secret is wrong or has expired. An admin can create a new client secret (App registrations → Backupchecks → Certificates & secrets) and enter its Value under " + settingsPlace + "."
	}
	return r.with(detail).status(http.StatusBadGateway)
}

func tokenRefusal(detail string) *Refusal {
	return refuse(GateToken, "The sign-in could not be verified",
		"The answer from Microsoft did not pass verification ("+detail+"), so it was not trusted.",
		"Start again. If it happens again, an admin can check the tenant ID and client ID under "+settingsPlace+" and that the server's clock is right; the attempt is in the audit log.").
		with(detail)
}

// checkGates applies the tenant, domain and group gates to a verified identity.
func checkGates(cfg Config, id Identity) *Refusal {
	name := id.SignInName()
	if !strings.EqualFold(id.TenantID, cfg.TenantID) {
		return refuse(GateTenant, "Account of another organisation",
			fmt.Sprintf("Your account belongs to another Microsoft Entra tenant (%s) than the one Backupchecks accepts.", id.TenantID),
			"Sign in with your account of the organisation. An admin can check the tenant ID under "+settingsPlace+".").
			with("token tenant " + id.TenantID + ", configured " + cfg.TenantID)
	}
	if len(cfg.AllowedDomains) > 0 {
		_, domain, ok := strings.Cut(strings.ToLower(name), "@")
		if !ok || !slices.Contains(cfg.AllowedDomains, domain) {
			shown := domain
			if !ok {
				shown = "none"
			}
			return refuse(GateDomain, "Domain not allowed",
				fmt.Sprintf("Your account %s is not in one of the domains allowed to sign in (%s).", name, strings.Join(cfg.AllowedDomains, ", ")),
				"An admin can add the domain "+shown+" under "+settingsPlace+" → Allowed domains.").
				with("domain " + shown)
		}
	}
	if len(cfg.AllowedGroups) > 0 {
		switch {
		case id.GroupsOverage:
			return refuse(GateGroupsOverage, "Too many groups to check",
				"Your account is in more groups than a sign-in token can list (group overage), so membership of the allowed groups cannot be checked and the sign-in is refused.",
				"An admin can have the token list only the groups assigned to the application: App registrations → Backupchecks → Token configuration → groups claim → \"Groups assigned to the application\", and assign the allowed groups to the enterprise application.").
				with("groups overage claim")
		case !id.GroupsClaim:
			return refuse(GateGroupsMissing, "No groups in the sign-in",
				"The sign-in token from Microsoft lists no groups, so membership of the allowed groups cannot be checked and the sign-in is refused.",
				"An admin can add the groups claim: App registrations → Backupchecks → Token configuration → Add groups claim → Security groups (ID token: Group ID).").
				with("no groups claim")
		case !slices.ContainsFunc(id.Groups, func(g string) bool { return slices.Contains(cfg.AllowedGroups, g) }):
			return refuse(GateGroup, "Not in an allowed group",
				"Your account is in none of the security groups allowed to sign in to Backupchecks.",
				"An admin can add you to one of the allowed groups in Entra (then sign in again), or allow one of your groups under "+settingsPlace+".").
				with(fmt.Sprintf("member of %d groups, none allowed", len(id.Groups)))
		}
	}
	return nil
}
