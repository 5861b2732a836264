// schema.h: the versioned SQLite schema of the job store and its migrations.
//
// The schema is a list of migrations applied in order; `schema_version` holds
// one row per applied migration. Migrate() brings any older database up to
// date inside one transaction per migration and refuses a database written by
// a newer binary. docs/schema.md documents every table and view.
//
// Enum columns (sweeps.state, jobs.state, jobs.kind, jobs.component) hold the
// numeric values of the ablate.v1 proto enums (SweepState, JobState,
// AblationKind, Component); the views add readable names, generated from the
// tables of common/vocabulary.h.
//
//   RETURN_IF_ERROR(Migrate(db.get()));
#ifndef ABLATE_STORAGE_SCHEMA_H_
#define ABLATE_STORAGE_SCHEMA_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/sqlite.h"

namespace ablate::storage {

// The version a fully migrated database has.
int LatestSchemaVersion();

// The version recorded in `db` (0 for an empty database).
absl::StatusOr<int> SchemaVersion(Database* db);

// Applies every missing migration in order, then recreates the dashboard views
// whose stored SQL differs from this binary's (generated from the vocabulary
// tables; nothing is written when they match). FailedPrecondition if the
// database is newer than this binary; Internal/DataLoss on SQLite errors (the
// failing migration is rolled back, earlier ones stay applied).
absl::Status Migrate(Database* db);

}  // namespace ablate::storage

#endif  // ABLATE_STORAGE_SCHEMA_H_
