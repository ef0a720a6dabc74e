/* html_assets: the HTML report's own script and style (analyzer/html/),
 * embedded by the build (the Makefile generates html_assets.c with xxd). */
#ifndef FP_HTML_ASSETS_H
#define FP_HTML_ASSETS_H

#include <stddef.h>

extern const unsigned char fp_html_js[], fp_html_css[];
extern const size_t fp_html_js_len, fp_html_css_len;
/* the script of --format svg's flame graphs (analyzer/html/flame_svg.js) */
extern const unsigned char fp_svg_js[];
extern const size_t fp_svg_js_len;

#endif
