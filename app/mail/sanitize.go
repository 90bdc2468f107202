package mail

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/microcosm-cc/bluemonday/css"
	xhtml "golang.org/x/net/html"
)

// SanitizeHTML makes a mail's HTML safe to show: the layout of a backup report stays
// (tables, colours, widths, borders, inline styles of a vetted set of properties, and
// <style> blocks that load nothing), while anything that runs or loads is removed:
// scripts, forms, frames, objects, external images and CSS url()s. Images remain only
// as cid: references, rewritten through cidURL to where the app serves the stored part
// (nil cidURL drops them), and as data: PNG, JPEG or GIF.
//
// Links to http, https and mailto stay clickable (the report's KB links are useful) and
// get rel="nofollow noreferrer" and target="_blank"; a click is the only way they load
// anything. Other links are reduced to their text.
func SanitizeHTML(htmlBody string, cidURL func(contentID string) string) string {
	styles := safeStyleBlocks(htmlBody)
	body := htmlPolicy().Sanitize(htmlBody)
	// bluemonday writes every attribute as name="escaped value", and escapes quotes
	// inside values and text, so this matches only a real img src.
	body = cidSrcAttr.ReplaceAllStringFunc(body, func(attr string) string {
		if cidURL == nil {
			return ""
		}
		id := html.UnescapeString(cidSrcAttr.FindStringSubmatch(attr)[1])
		if unescaped, err := url.PathUnescape(id); err == nil {
			id = unescaped
		}
		return ` src="` + html.EscapeString(cidURL(strings.Trim(id, "<>"))) + `"`
	})
	if styles == "" {
		return body
	}
	return "<style>" + styles + "</style>\n" + body
}

// IframeDocument wraps sanitised HTML in the document shown in the sandboxed iframe
// (srcdoc). Links open in a new tab, and nothing leaks the app's URL as a referrer.
func IframeDocument(sanitised string) string {
	return `<!DOCTYPE html><html><head><meta charset="utf-8">` +
		`<meta name="referrer" content="no-referrer"><base target="_blank">` +
		`<style>body{margin:8px;overflow-wrap:anywhere}img{max-width:100%;height:auto}</style>` +
		"</head><body>\n" + sanitised + "\n</body></html>"
}

var (
	numberOrSize = regexp.MustCompile(`^\s*\d+(\.\d+)?\s*(%|px)?\s*$`)
	integer      = regexp.MustCompile(`^\s*\d+\s*$`)
	colorValue   = regexp.MustCompile(`^\s*(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|rgba?\([0-9.,%\s]+\))\s*$`)
	alignValue   = regexp.MustCompile(`(?i)^\s*(left|right|center|justify|middle|top|bottom|baseline|absmiddle|char)\s*$`)
	valignValue  = regexp.MustCompile(`(?i)^\s*(top|middle|bottom|baseline|center)\s*$`)
	langValue    = regexp.MustCompile(`^[a-zA-Z\-]{2,20}$`)
	nowrapValue  = regexp.MustCompile(`(?i)^(|nowrap)$`)
	noshadeValue = regexp.MustCompile(`(?i)^(|noshade)$`)
	fontFace     = regexp.MustCompile(`^[\p{L}\p{N}\s,'"\-_.]{1,200}$`)
	fontSize     = regexp.MustCompile(`^\s*[+-]?\d{1,2}\s*$`)
	listType     = regexp.MustCompile(`^(?i)(1|a|i|disc|circle|square)$`)
	tokens       = regexp.MustCompile(`^[\p{L}\p{N}\s\-_:.]{0,500}$`)
	textValue    = regexp.MustCompile(`^[^<>]{0,1000}$`)
	linkHref     = regexp.MustCompile(`(?i)^\s*(https?://|mailto:)`)
	imageSrc     = regexp.MustCompile(`(?i)^\s*(cid:\S+|data:image/(png|jpeg|jpg|gif);base64,[a-z0-9+/=\s]+)\s*$`)
	cidSrcAttr   = regexp.MustCompile(` src="cid:([^"]*)"`)
)

// styleProperties are the inline style properties kept, each value checked by
// bluemonday's handler for that property (which refuse url() and expressions).
var styleProperties = []string{
	"color", "background-color", "opacity",
	"font", "font-family", "font-size", "font-style", "font-variant", "font-weight",
	"text-align", "text-decoration", "text-indent", "text-transform", "vertical-align",
	"line-height", "letter-spacing", "word-spacing", "white-space", "word-break",
	"word-wrap", "direction", "text-overflow", "overflow", "overflow-x", "overflow-y",
	"width", "min-width", "max-width", "height", "min-height", "max-height",
	"margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
	"padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
	"border", "border-top", "border-right", "border-bottom", "border-left",
	"border-color", "border-style", "border-width", "border-radius",
	"border-top-color", "border-right-color", "border-bottom-color", "border-left-color",
	"border-top-style", "border-right-style", "border-bottom-style", "border-left-style",
	"border-top-width", "border-right-width", "border-bottom-width", "border-left-width",
	"border-collapse", "border-spacing", "table-layout", "caption-side", "empty-cells",
	"display", "float", "clear", "visibility", "list-style-type", "list-style-position",
}

// htmlPolicy is built once; bluemonday policies are safe for concurrent use.
var htmlPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"abbr", "acronym", "address", "article", "b", "bdi", "bdo", "big", "blockquote",
		"br", "caption", "center", "cite", "code", "dd", "del", "dfn", "div", "dl", "dt",
		"em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
		"header", "hr", "i", "ins", "kbd", "li", "main", "mark", "nobr", "ol", "p", "pre",
		"q", "s", "samp", "section", "small", "span", "strike", "strong", "sub", "sup",
		"table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
		"col", "colgroup", "font",
	)
	p.AllowStyles(styleProperties...).Globally()
	// "background" only as a colour: its image form is a url().
	p.AllowStyles("background").MatchingHandler(css.ColorHandler).Globally()

	p.AllowAttrs("class", "id").Matching(tokens).Globally()
	p.AllowAttrs("title").Matching(textValue).Globally()
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowAttrs("lang").Matching(langValue).Globally()
	p.AllowAttrs("align").Matching(alignValue).Globally()
	p.AllowAttrs("valign").Matching(valignValue).Globally()
	p.AllowAttrs("width", "height").Matching(numberOrSize).Globally()
	p.AllowAttrs("bgcolor", "color", "bordercolor").Matching(colorValue).Globally()
	p.AllowAttrs("nowrap").Matching(nowrapValue).OnElements("td", "th", "tr")
	p.AllowAttrs("border", "cellpadding", "cellspacing").Matching(integer).OnElements("table", "img")
	p.AllowAttrs("colspan", "rowspan", "span").Matching(integer).OnElements("td", "th", "col", "colgroup")
	p.AllowAttrs("scope", "abbr", "headers").Matching(tokens).OnElements("td", "th")
	p.AllowAttrs("summary").Matching(textValue).OnElements("table")
	p.AllowAttrs("face").Matching(fontFace).OnElements("font")
	p.AllowAttrs("size").Matching(fontSize).OnElements("font", "hr")
	p.AllowAttrs("noshade").Matching(noshadeValue).OnElements("hr")
	p.AllowAttrs("type").Matching(listType).OnElements("ol", "ul", "li")
	p.AllowAttrs("start", "value").Matching(integer).OnElements("ol", "li")

	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowAttrs("href").Matching(linkHref).OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)

	// Images: data: PNG/JPEG/GIF, and cid: references that SanitizeHTML rewrites.
	p.AllowAttrs("alt").Matching(textValue).OnElements("img")
	p.AllowAttrs("hspace", "vspace").Matching(integer).OnElements("img")
	p.AllowAttrs("src").Matching(imageSrc).OnElements("img")
	p.AllowDataURIImages()
	p.AllowURLSchemeWithCustomPolicy("cid", func(*url.URL) bool { return true })
	return p
})

var (
	cssComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	cssImport  = regexp.MustCompile(`(?i)@import[^;]*;?`)
	// cssForbidden are what lets CSS load something, run something or hide a way to:
	// escapes could spell url( in disguise, and "<" could end the style element.
	cssForbidden = []string{"url(", "image(", "image-set", "cross-fade", "@import", "@font-face",
		"@namespace", "expression", "behavior", "binding", "javascript", "vbscript", "\\", "<"}
)

// safeStyleBlocks returns the CSS of the mail's <style> elements that loads and runs
// nothing; a block with anything suspect is dropped whole, after @import rules (font
// services in templates) are removed.
func safeStyleBlocks(htmlBody string) string {
	if !strings.Contains(strings.ToLower(htmlBody), "<style") {
		return ""
	}
	var kept []string
	z := xhtml.NewTokenizer(strings.NewReader(htmlBody))
	inStyle := false
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return strings.Join(kept, "\n")
		case xhtml.StartTagToken:
			name, _ := z.TagName()
			inStyle = string(name) == "style"
		case xhtml.EndTagToken:
			inStyle = false
		case xhtml.TextToken:
			if !inStyle {
				continue
			}
			// Style content is raw text: no entities to decode, in the mail or in our output.
			block := cssComment.ReplaceAllString(string(z.Text()), "")
			block = strings.TrimSpace(cssImport.ReplaceAllString(block, ""))
			if block != "" && safeCSS(block) {
				kept = append(kept, block)
			}
		}
	}
}

func safeCSS(block string) bool {
	lower := strings.ToLower(block)
	for _, bad := range cssForbidden {
		if strings.Contains(lower, bad) {
			return false
		}
	}
	return true
}
