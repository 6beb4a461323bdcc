/* Placeholder source for build_by_default: false libraries (see meson.build). */
