package imap

// ForceAuthenticatePlain makes s log in with AUTHENTICATE PLAIN even where LOGIN is
// allowed: the test server cannot disable LOGIN while allowing AUTHENTICATE.
func ForceAuthenticatePlain(s *Source) { s.forcePlainAuth = true }
