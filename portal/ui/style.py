"""The portal's own CSS, beside Streamlit's theme: every page's (``PAGE_CSS``, drawn by
``chrome``) and the board's projector mode's (``PROJECTOR_CSS``, drawn by ``projector``)."""

# A figure is never cut to "1,558 volun…": a metric's value, delta and note wrap instead of
# ending in an ellipsis (Streamlit's default), on every page and the projector. The element
# holding this style and the page-language script takes no room in the layout.
PAGE_CSS = """<style>
[data-testid="stMetric"] .stMarkdownEllipsis, [data-testid="stMetric"] .stMarkdownEllipsis p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetric"] div:has(> [data-testid="stMetricDelta"]) { flex-wrap: wrap; }
/* a number is never broken across lines ("CNY 23,759,866.0" / "0"): it breaks at spaces only */
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
  overflow-wrap: normal !important; word-break: normal !important; }
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] script) { display: none; }
@media (max-width: 640px) {  /* a phone: headline figures a size smaller, so a page is less of a scroll */
  [data-testid="stMetricValue"] { font-size: 1.8rem; }
}
[data-testid="stCaptionContainer"] code { color: inherit; }  /* 4.5:1, like the caption's words */
/* a wide table scrolls sideways with its first column in place */
[data-testid="stTable"] tbody th, [data-testid="stTable"] thead th:first-child {
  position: sticky; left: 0; z-index: 1; background: var(--st-background-color, #fbfaf7); }
</style>"""

# Type and the slide's height follow the screen's height (vh), capped for tall screens: what
# fits a 1080-pixel projector then fits a 768-pixel laptop too. The bar on top is 5.5rem.
PROJECTOR_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stLayoutWrapper"]:has(> .st-key-top_bar), .st-key-top_bar,
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #ffffff; color: #000000; }
.block-container { max-width: 100% !important; padding: .6rem 2.5rem 0 2.5rem !important; }
.st-key-projector_bar { height: 4.6rem; overflow: hidden; }
.st-key-projector_bar p { font-size: min(1.15rem, 2.4vh) !important; }
.st-key-projector_bar h1 { font-size: min(1.3rem, 2.7vh) !important; padding: 0 !important; margin: 0 !important;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; line-height: 1.3 !important; }
.st-key-projector_bar h1 + p { margin: .15rem 0 0 0 !important; color: #333333; }
.st-key-projector_bar [data-testid="stVerticalBlock"] { gap: .1rem; }
.st-key-projector_slide { height: calc(100vh - 6rem) !important; flex: none !important; overflow: hidden; }
.st-key-projector_slide h2 { font-size: min(2.6rem, 5vh) !important; color: #000000; padding: 0 0 .4rem 0; }
.st-key-projector_slide [data-testid="stMetricValue"], .st-key-projector_slide [data-testid="stMetricValue"] * {
  font-size: min(4.6rem, 8.5vh) !important; color: #000000 !important; font-weight: 800; line-height: 1.15;
  white-space: normal !important; overflow: visible !important; }
.st-key-projector_slide [data-testid="stMetricLabel"], .st-key-projector_slide [data-testid="stMetricLabel"] p {
  font-size: min(2.2rem, 4.2vh) !important; color: #000000 !important; font-weight: 700; }
.st-key-projector_slide [data-testid="stMetricDelta"], .st-key-projector_slide [data-testid="stMetricDelta"] * {
  font-size: min(1.9rem, 3.4vh) !important; }
.st-key-projector_slide [data-testid="stCaptionContainer"] p {
  font-size: min(1.6rem, 3vh) !important; color: #1a1a1a !important; }
.st-key-projector_slide [data-testid="stMarkdownContainer"] li {
  font-size: min(2.2rem, 3.9vh); line-height: 1.4; color: #000000; }
.st-key-projector_slide [data-testid="stTable"] td, .st-key-projector_slide [data-testid="stTable"] th {
  font-size: min(1.7rem, 2.5vh) !important; color: #000000; padding: .4vh .8rem; }
</style>
"""
# a chart's type on a projector: read from the back of the room
PROJECTOR_CHART_CONFIG = {
    "axis": {"labelFontSize": 20, "titleFontSize": 22},
    "legend": {"labelFontSize": 20, "titleFontSize": 20, "symbolSize": 240},
    "title": {"fontSize": 30, "subtitleFontSize": 20},
    "text": {"fontSize": 20},
}
