package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// mailFolder is a folder as Graph describes it.
type mailFolder struct {
	ID               string `json:"id"`
	DisplayName      string `json:"displayName"`
	ChildFolderCount int    `json:"childFolderCount"`
	TotalItemCount   int    `json:"totalItemCount"`
}

// folderRef is a configured folder resolved to its id.
type folderRef struct {
	ID       string
	Path     string       // display names from the top, e.g. "Inbox/Backup reports"
	Parent   string       // Path of the parent; "" for a top-level folder
	Siblings []mailFolder // the parent's children, including this folder
}

type folderPair struct{ source, processed folderRef }

// wellKnownFolders may be named directly, whatever the mailbox's language calls them.
var wellKnownFolders = map[string]bool{
	"archive": true, "clutter": true, "conflicts": true, "conversationhistory": true,
	"deleteditems": true, "drafts": true, "inbox": true, "junkemail": true,
	"localfailures": true, "msgfolderroot": true, "outbox": true,
	"recoverableitemsdeletions": true, "scheduled": true, "searchfolders": true,
	"sentitems": true, "serverfailures": true, "syncissues": true,
}

// resolvedFolders returns the source and processed folder ids, resolving them once.
func (s *Source) resolvedFolders(ctx context.Context) (folderPair, error) {
	s.mu.Lock()
	cached := s.folders
	s.mu.Unlock()
	if cached != nil {
		return *cached, nil
	}
	top, err := s.topFolders(ctx)
	if err != nil {
		return folderPair{}, err
	}
	src, err := s.findFolder(ctx, top, "source", s.cfg.SourceFolder)
	if err != nil {
		return folderPair{}, err
	}
	dst, err := s.findFolder(ctx, top, "processed", s.cfg.ProcessedFolder)
	if err != nil {
		return folderPair{}, err
	}
	return s.keepFolders(src, dst)
}

// keepFolders caches a freshly resolved pair.
func (s *Source) keepFolders(src, dst folderRef) (folderPair, error) {
	// Names can differ and still meet in one folder ("Inbox" and "inbox"); moving
	// mail into the folder it came from would import it forever.
	if src.ID == dst.ID {
		return folderPair{}, fmt.Errorf("graph: processed folder %q is the source folder %q", dst.Path, src.Path)
	}
	p := folderPair{
		source:    folderRef{ID: src.ID, Path: src.Path},
		processed: folderRef{ID: dst.ID, Path: dst.Path},
	}
	s.mu.Lock()
	s.folders = &p
	s.mu.Unlock()
	return p, nil
}

func (s *Source) forgetFolders() {
	s.mu.Lock()
	s.folders = nil
	s.mu.Unlock()
}

// topFolders lists the mailbox's top-level folders; its errors say whether the
// mailbox exists and whether the app may read it.
func (s *Source) topFolders(ctx context.Context) ([]mailFolder, error) {
	top, err := listAll[mailFolder](ctx, s, s.user+"/mailFolders?$top=100", 0)
	if err == nil {
		return top, nil
	}
	var ge *Error
	if errors.As(err, &ge) {
		switch ge.Status {
		case http.StatusNotFound:
			return nil, fmt.Errorf("graph: mailbox %q not found (no such user, or the user has no Exchange Online mailbox): %w", s.cfg.Mailbox, err)
		case http.StatusUnauthorized, http.StatusForbidden:
			return nil, fmt.Errorf("graph: access to mailbox %q denied (grant the app the Mail.ReadWrite application permission with admin consent; an application access policy may also exclude this mailbox): %w", s.cfg.Mailbox, err)
		}
	}
	return nil, fmt.Errorf("graph: list folders of mailbox %q: %w", s.cfg.Mailbox, err)
}

// findFolder resolves a path of display names, matched case-insensitively, from the
// top-level folders down through child folders. The first element may also be a
// well-known name such as "inbox".
func (s *Source) findFolder(ctx context.Context, top []mailFolder, role, path string) (folderRef, error) {
	var ref folderRef
	siblings := top
	parts := strings.Split(path, "/")
	for i, name := range parts {
		f, ok := folderNamed(siblings, name)
		if !ok && i == 0 && wellKnownFolders[strings.ToLower(name)] {
			err := getJSON(ctx, s, s.user+"/mailFolders/"+strings.ToLower(name), &f)
			if err != nil && !isNotFound(err) {
				return folderRef{}, fmt.Errorf("graph: %s folder %q: %w", role, path, err)
			}
			ok = err == nil
		}
		if !ok {
			return folderRef{}, folderMissing(role, path, s.cfg.Mailbox, ref.Path, siblings)
		}
		ref = folderRef{ID: f.ID, Path: joinPath(ref.Path, f.DisplayName), Parent: ref.Path, Siblings: siblings}
		if i == len(parts)-1 {
			break
		}
		children, err := listAll[mailFolder](ctx, s, s.user+"/mailFolders/"+url.PathEscape(f.ID)+"/childFolders?$top=100", 0)
		if err != nil {
			return folderRef{}, fmt.Errorf("graph: %s folder %q: list subfolders of %q: %w", role, path, ref.Path, err)
		}
		siblings = children
	}
	return ref, nil
}

func folderNamed(folders []mailFolder, name string) (mailFolder, bool) {
	for _, f := range folders {
		if strings.EqualFold(f.DisplayName, name) {
			return f, true
		}
	}
	return mailFolder{}, false
}

// folderMissing names what does exist where the path broke off, so an admin can fix
// the setting without opening the mailbox.
func folderMissing(role, path, mailbox, parent string, siblings []mailFolder) error {
	names := make([]string, len(siblings))
	for i, f := range siblings {
		names[i] = f.DisplayName
	}
	var there string
	switch {
	case parent == "":
		there = "top-level folders: " + strings.Join(names, ", ")
	case len(names) == 0:
		there = fmt.Sprintf("%q has no subfolders", parent)
	default:
		there = fmt.Sprintf("%q contains: %s", parent, strings.Join(names, ", "))
	}
	return fmt.Errorf("graph: %s folder %q does not exist in mailbox %q; %s", role, path, mailbox, there)
}

// cleanPath trims blanks around each element and drops empty ones, so " Inbox / Reports/"
// and "Inbox/Reports" name the same folder.
func cleanPath(path string) string {
	var parts []string
	for _, p := range strings.Split(path, "/") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "/" + name
}
