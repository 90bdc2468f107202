package assets

import "embed"

// PDFFonts holds the fonts embedded in generated PDFs: DejaVu Sans regular and bold
// (UTF-8 coverage for names such as "Müller", "Šťastný" and "Łódź"), with their
// licence (fonts/LICENSE-DejaVu.txt). They are not served over HTTP.
//
//go:embed fonts/DejaVuSans.ttf fonts/DejaVuSans-Bold.ttf fonts/LICENSE-DejaVu.txt
var PDFFonts embed.FS
