# config.mk: compiler, flags and library settings for TradeSuite (edit here, not in Makefile)

# The release, printed by every program's --version
VERSION = 0.1.0

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
USERUNITDIR ?= $(PREFIX)/lib/systemd/user
DOCDIR  ?= $(PREFIX)/share/doc/tradesuite
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions

CC      ?= cc
OPT     ?= -O2 -g
WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wcast-qual -Wsign-compare -Werror
CFLAGS  ?= $(OPT)
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Ilibcommon -MMD -MP
LDFLAGS ?=

# make check SANITIZE=1: build everything under ASan and UBSan
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD   ?= build-san
endif
BUILD   ?= build

# Libraries. libjq ships no pkg-config file.
ZMQ_LIBS    = $(shell pkg-config --libs libzmq)
JQ_LIBS     = -ljq
CURL_LIBS   = $(shell pkg-config --libs libcurl)
LWS_CFLAGS  = $(shell pkg-config --cflags libwebsockets)
LWS_LIBS    = $(shell pkg-config --libs libwebsockets) -lssl -lcrypto
SQLITE_LIBS = $(shell pkg-config --libs sqlite3)
GLIB_CFLAGS = $(shell pkg-config --cflags glib-2.0)
GLIB_LIBS   = $(shell pkg-config --libs glib-2.0)
GTK_CFLAGS  = $(shell pkg-config --cflags gtk4 libadwaita-1 libpanel-1)
GTK_LIBS    = $(shell pkg-config --libs gtk4 libadwaita-1 libpanel-1)

# Every program links libcommon and these.
COMMON_LIBS = $(ZMQ_LIBS) $(JQ_LIBS) $(CURL_LIBS) -lm
