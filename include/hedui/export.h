/* SPDX-License-Identifier: MIT */
/*
 * hedui/export.h: HEDUI_EXPORT marks the functions of libhedui's public
 * API.
 *
 * libhedui is built with -fvisibility=hidden, so everything else in it
 * (the RPC server, the TLS engine, the generated protobuf code) stays
 * inside the shared library and cannot clash with an integrator's names.
 * For a program that includes these headers the attribute is harmless.
 */
#ifndef HEDUI_PUBLIC_EXPORT_H
#define HEDUI_PUBLIC_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define HEDUI_EXPORT __attribute__((visibility("default")))
#else
#define HEDUI_EXPORT
#endif

#endif
