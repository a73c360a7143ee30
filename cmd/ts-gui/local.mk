# ts-gui: GTK4, libadwaita and libpanel. Their headers go in as -isystem so
# the project's warnings (-Wcast-qual and others) apply to our code only.
ts-gui_CFLAGS = $(patsubst -I%,-isystem %,$(GTK_CFLAGS))
ts-gui_LIBS = $(GTK_LIBS)
