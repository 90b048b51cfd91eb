/* gb_app: what every function may use, set up once by main.c; read-only
 * once the server runs (the store and the body cache are thread-safe on
 * their own). */
#ifndef GB_APP_H
#define GB_APP_H

struct gb_config;
struct gb_store;
struct gb_publisher;
struct gb_body_cache;

struct gb_app {
  const struct gb_config *config;
  struct gb_store *store;
  struct gb_publisher *publisher;     /* NULL when publishing is not set up */
  struct gb_body_cache *stats_bodies; /* GetStats' bodies; NULL: none kept */
};

#endif
