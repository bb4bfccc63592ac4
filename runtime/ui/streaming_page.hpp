// The HTML of the Streaming page and of a batch's page. Both load Chart.js
// from /static/chart.min.js (served by the engine from Debian's libjs-chart.js,
// never from a CDN) and read everything from the REST API, refreshing every
// second.
#pragma once

namespace rill {

const char* streaming_page_html();
const char* batch_page_html();

}  // namespace rill
