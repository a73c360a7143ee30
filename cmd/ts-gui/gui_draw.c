/* gui_draw.c: drawing helpers shared by ts-gui's views: nice ticks, number formats, text */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gui.h"

/* A step of 1, 2, 2.5 or 5 times a power of ten giving about `target` ticks. */
double
gui_nice_step(double range, int target)
{
	double raw, mag, f;

	if (!(range > 0) || target < 1)
		return 1;
	raw = range / target;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	if (f <= 1)
		f = 1;
	else if (f <= 2)
		f = 2;
	else if (f <= 2.5)
		f = 2.5;
	else if (f <= 5)
		f = 5;
	else
		f = 10;
	return f * mag;
}

/* As many decimals as the step needs, so ticks read 65,000.5 and not 65000.500000. */
void
gui_fmt_price(double px, double step, char *buf, size_t n)
{
	int dec = 0;

	if (step > 0 && step < 1)
		dec = (int)ceil(-log10(step) - 1e-9);
	if (step > 0 && fabs(step * pow(10, dec) - round(step * pow(10, dec))) > 1e-6)
		dec++; /* 2.5 steps */
	if (dec > 10)
		dec = 10;
	snprintf(buf, n, "%.*f", dec, px);
}

void
gui_fmt_qty(double q, char *buf, size_t n)
{
	double a = fabs(q);

	if (a >= 1e6)
		snprintf(buf, n, "%.2fM", q / 1e6);
	else if (a >= 1e4)
		snprintf(buf, n, "%.1fK", q / 1e3);
	else if (a >= 100)
		snprintf(buf, n, "%.1f", q);
	else if (a >= 1)
		snprintf(buf, n, "%.3f", q);
	else
		snprintf(buf, n, "%.4f", q);
}

void
gui_color(cairo_t *cr, uint32_t rgb, double alpha)
{
	cairo_set_source_rgba(cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
	    (rgb & 255) / 255.0, alpha);
}

/* Text with its baseline at y; align -1 left, 0 centre, 1 right of x. */
void
gui_text(cairo_t *cr, double x, double y, const char *s, int align, int bold)
{
	cairo_text_extents_t te;

	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
	    bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, GUI_FONT_SIZE);
	if (align >= 0) {
		cairo_text_extents(cr, s, &te);
		x -= align > 0 ? te.x_advance : te.x_advance / 2;
	}
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
}
