package publish

import (
	"fmt"
	"strings"
	"time"
)

// PrivatePrefix holds everything of publishing that is not for viewers:
// originals, job records and version records. Wrap the store the origin
// serves from with PublicView so that none of it is ever served.
const PrivatePrefix = ".strata/"

const (
	originalsPrefix = PrivatePrefix + "publish/originals/"
	jobsPrefix      = PrivatePrefix + "publish/jobs/"
	versionsPrefix  = PrivatePrefix + "publish/versions/"
	modelsPrefix    = "models/"
)

// PointerKey is the key of a model's pointer manifest, the one mutable
// object of a published model.
func PointerKey(id string) string { return modelsPrefix + id + "/manifest.json" }

// ArtifactKey is the key of one file of a published version; version is a
// content hash, so the origin serves the key as immutable.
func ArtifactKey(id, version, name string) string {
	return modelsPrefix + id + "/" + version + "/" + name
}

func versionPrefix(id, version string) string { return modelsPrefix + id + "/" + version + "/" }

func originalKey(job, name string) string { return originalsPrefix + job + "/" + name }

func jobKey(job string) string { return jobsPrefix + job + ".json" }

// versionRecordKey sorts a model's version records by upload time, then by
// job id: List returns the newest last.
func versionRecordKey(id string, uploaded time.Time, job string) string {
	return fmt.Sprintf("%s%s/%019d-%s.json", versionsPrefix, id, uploaded.UnixNano(), job)
}

func versionRecordsPrefix(id string) string { return versionsPrefix + id + "/" }

// jobFromRecordKey extracts the job id from a version record key.
func jobFromRecordKey(key string) string {
	base := key[strings.LastIndexByte(key, '/')+1:]
	base = strings.TrimSuffix(base, ".json")
	if i := strings.IndexByte(base, '-'); i >= 0 {
		return base[i+1:]
	}
	return ""
}
