/* rdwh ABI: platform macros. C99 and C++; includes nothing but the standard headers below. */
#ifndef RDWH_PLATFORM_H
#define RDWH_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* RDWH_EXPORT marks the one symbol a plugin exports (rdwh_plugin_get_entry). */
#if defined(_WIN32)
#  define RDWH_EXPORT __declspec(dllexport)
#  define RDWH_CALL __cdecl
#elif defined(__GNUC__) || defined(__clang__)
#  define RDWH_EXPORT __attribute__((visibility("default")))
#  define RDWH_CALL
#else
#  define RDWH_EXPORT
#  define RDWH_CALL
#endif

#ifdef __cplusplus
#  define RDWH_EXTERN_C_BEGIN extern "C" {
#  define RDWH_EXTERN_C_END }
#else
#  define RDWH_EXTERN_C_BEGIN
#  define RDWH_EXTERN_C_END
#endif

/* True when the producer-filled struct *p (whose first member is uint32_t struct_size) is large
 * enough to hold `field`: read a field only when this holds (forward compatibility, see types.h). */
#define RDWH_HAS_FIELD(p, T, field) \
  ((p)->struct_size >= (uint32_t)(offsetof(T, field) + sizeof(((T *)0)->field)))

#endif /* RDWH_PLATFORM_H */
