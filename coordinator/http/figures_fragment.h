// figures_fragment.h: the HTML fragment the sweep page shows under
// "Figures", refreshed as results land (GET /sweeps/{id}/figures).
//
// INTEGRATION POINT: until the report library (report/, `ablate report`) is
// merged, this renders the sweep's results as a plain table; the integrator
// replaces the body of RenderFiguresFragment with the report library's
// figures renderer (e.g. RenderFiguresHtml(StudyData)), fed by the same
// QueryResults rows. Nothing else needs to change.
//
// Thread-safe: a pure function.
#ifndef ABLATE_COORDINATOR_HTTP_FIGURES_FRAGMENT_H_
#define ABLATE_COORDINATOR_HTTP_FIGURES_FRAGMENT_H_

#include <string>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "absl/strings/string_view.h"

namespace ablate::coordinator::http {

// Most result rows a fragment shows (the rest is counted, not shown).
inline constexpr int kMaxFigureRows = 2000;

// `rows`: the sweep's results in result-id order; `truncated`: more exist.
std::string RenderFiguresFragment(const v1::SweepInfo& sweep, const std::vector<v1::ResultRow>& rows,
                                  bool truncated);

// Text escaped for HTML element content and attribute values.
std::string HtmlEscape(absl::string_view text);

}  // namespace ablate::coordinator::http

#endif  // ABLATE_COORDINATOR_HTTP_FIGURES_FRAGMENT_H_
