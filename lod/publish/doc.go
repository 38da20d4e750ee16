// Package publish turns uploaded models into published, streamable ones: it
// stores the original, bakes it with lod.Bake in a bounded worker pool,
// writes the outputs under content-addressed keys and then replaces the
// model's pointer, models/{id}/manifest.json, which the origin serves with a
// short TTL while everything it names is immutable.
//
// Every step is recorded in the store, not in memory: the original and a job
// record are written before a job is acknowledged, so a restart (or another
// instance) resumes unfinished jobs from the store, and since a bake is
// deterministic a job that runs twice writes the same bytes twice.
//
// The main trade-off is how the pointer is replaced. The store offers no
// conditional write, so instances that share a bucket cannot lock a model.
// Instead every finished version leaves a record whose key sorts by upload
// time, and whoever writes the pointer reads it back and compares it with the
// newest record until both agree. Publishes of one id may overlap freely and
// still end with one pointer, naming the newest upload, at the cost of a few
// extra store requests per publish and of ordering uploads by the clock of
// the instance that accepted them.
package publish
