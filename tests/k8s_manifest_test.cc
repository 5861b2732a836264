// k8s_manifest_test.cc: renders deploy/k8s with `kubectl kustomize` (Debian's
// kubernetes-client) and checks what a cluster would only reject at apply or
// run time: every volume claim, ConfigMap and Secret a pod refers to is
// defined (generated names with their hash suffix included), every volume
// mount names a volume, every probe targets a port the container serves
// (gRPC probes: a numeric containerPort), the StatefulSet's serviceName is a
// headless Service, GPU pods tolerate the GPU taint, images are pinned and not
// force-pulled, and containers run non-root with a read-only root filesystem
// and no capabilities. worker-job.yaml (applied on its own) is checked
// against the same rendered objects. Skips when kubectl is not installed.
#include <sys/wait.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace {

std::string Shell(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  *status = pclose(pipe);
  return out;
}

struct Defined {
  std::set<std::string> claims, config_maps, secrets, headless_services;
};

std::string Str(const YAML::Node& n) { return n && n.IsScalar() ? n.as<std::string>() : ""; }

bool IsWorkload(const YAML::Node& doc) {
  const std::string kind = Str(doc["kind"]);
  return kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "Job";
}

// The pod template's spec of a workload.
YAML::Node PodSpec(const YAML::Node& doc) { return doc["spec"]["template"]["spec"]; }

void CheckWorkload(const YAML::Node& doc, const Defined& d) {
  const std::string where = absl::StrCat(Str(doc["kind"]), "/", Str(doc["metadata"]["name"]));
  SCOPED_TRACE(where);
  const YAML::Node pod = PodSpec(doc);
  ASSERT_TRUE(pod.IsMap());
  std::set<std::string> volumes;
  for (const auto& t : doc["spec"]["volumeClaimTemplates"]) volumes.insert(Str(t["metadata"]["name"]));
  for (const auto& v : pod["volumes"]) {
    volumes.insert(Str(v["name"]));
    if (v["persistentVolumeClaim"]) {
      EXPECT_TRUE(d.claims.count(Str(v["persistentVolumeClaim"]["claimName"])))
          << "undefined claim " << v["persistentVolumeClaim"]["claimName"];
    }
    if (v["configMap"]) {
      EXPECT_TRUE(d.config_maps.count(Str(v["configMap"]["name"]))) << "undefined ConfigMap";
    }
    if (v["secret"]) {
      EXPECT_TRUE(d.secrets.count(Str(v["secret"]["secretName"]))) << "undefined Secret";
    }
  }
  if (Str(doc["kind"]) == "StatefulSet") {
    EXPECT_TRUE(d.headless_services.count(Str(doc["spec"]["serviceName"]))) << "serviceName is not a headless Service";
  }
  EXPECT_EQ(Str(pod["securityContext"]["runAsNonRoot"]), "true");
  for (const auto& c : pod["containers"]) {
    SCOPED_TRACE(Str(c["name"]));
    const std::string image = Str(c["image"]);
    EXPECT_NE(image.find(':'), std::string::npos) << "image without a tag: " << image;
    EXPECT_EQ(image.find(":latest"), std::string::npos) << image;
    EXPECT_EQ(Str(c["imagePullPolicy"]), "IfNotPresent");
    EXPECT_EQ(Str(c["securityContext"]["readOnlyRootFilesystem"]), "true");
    EXPECT_EQ(Str(c["securityContext"]["allowPrivilegeEscalation"]), "false");
    EXPECT_EQ(Str(c["securityContext"]["capabilities"]["drop"][0]), "ALL");
    for (const auto& m : c["volumeMounts"]) {
      EXPECT_TRUE(volumes.count(Str(m["name"]))) << "mount of undefined volume " << m["name"];
    }
    for (const auto& e : c["envFrom"]) {
      if (e["configMapRef"]) {
        EXPECT_TRUE(d.config_maps.count(Str(e["configMapRef"]["name"])));
      }
      if (e["secretRef"]) {
        EXPECT_TRUE(d.secrets.count(Str(e["secretRef"]["name"])));
      }
    }
    for (const auto& e : c["env"]) {
      const YAML::Node from = e["valueFrom"];
      if (from && from["configMapKeyRef"]) {
        EXPECT_TRUE(d.config_maps.count(Str(from["configMapKeyRef"]["name"])));
      }
      if (from && from["secretKeyRef"]) {
        EXPECT_TRUE(d.secrets.count(Str(from["secretKeyRef"]["name"])));
      }
    }
    std::set<std::string> port_names, port_numbers;
    for (const auto& p : c["ports"]) {
      port_names.insert(Str(p["name"]));
      port_numbers.insert(Str(p["containerPort"]));
    }
    for (const char* probe : {"startupProbe", "readinessProbe", "livenessProbe"}) {
      const YAML::Node p = c[probe];
      if (!p) continue;
      SCOPED_TRACE(probe);
      if (p["grpc"]) {
        EXPECT_TRUE(port_numbers.count(Str(p["grpc"]["port"]))) << "gRPC probe port not served";
      } else if (p["tcpSocket"] || p["httpGet"]) {
        const std::string port = Str(p["tcpSocket"] ? p["tcpSocket"]["port"] : p["httpGet"]["port"]);
        EXPECT_TRUE(port_numbers.count(port) || port_names.count(port)) << "probe port " << port;
      }
    }
    if (c["resources"]["limits"]["nvidia.com/gpu"]) {
      bool tolerated = false;
      for (const auto& t : pod["tolerations"]) tolerated |= Str(t["key"]) == "nvidia.com/gpu";
      EXPECT_TRUE(tolerated) << "GPU container without a nvidia.com/gpu toleration";
    }
  }
}

TEST(K8sManifestTest, RenderedManifestsReferToWhatTheyDefine) {
  int status = 0;
  Shell("command -v kubectl >/dev/null 2>&1", &status);
  if (status != 0) GTEST_SKIP() << "kubectl not installed (Debian package kubernetes-client)";
  const std::string k8s = std::string(ABLATE_SOURCE_DIR) + "/deploy/k8s";
  const std::string rendered = Shell(absl::StrCat("kubectl kustomize '", k8s, "' 2>&1"), &status);
  ASSERT_EQ(status, 0) << rendered;
  std::vector<YAML::Node> docs = YAML::LoadAll(rendered);
  for (YAML::Node& doc : YAML::LoadAllFromFile(k8s + "/worker-job.yaml")) docs.push_back(doc);

  Defined d;
  int network_policies = 0, grpc_probes = 0;
  for (const auto& doc : docs) {
    const std::string kind = Str(doc["kind"]), name = Str(doc["metadata"]["name"]);
    if (kind == "PersistentVolumeClaim") {
      d.claims.insert(name);
      if (name == "ablate-models" || name == "ablate-data") {
        EXPECT_EQ(Str(doc["spec"]["accessModes"][0]), "ReadOnlyMany") << name;
      }
    }
    if (kind == "ConfigMap") d.config_maps.insert(name);
    if (kind == "Secret") d.secrets.insert(name);
    if (kind == "Service" && Str(doc["spec"]["clusterIP"]) == "None") d.headless_services.insert(name);
    if (kind == "NetworkPolicy") ++network_policies;
  }
  EXPECT_TRUE(d.claims.count("ablate-models") && d.claims.count("ablate-data"));
  EXPECT_GE(network_policies, 1);
  int workloads = 0;
  for (const auto& doc : docs) {
    if (!IsWorkload(doc)) continue;
    ++workloads;
    CheckWorkload(doc, d);
    for (const auto& c : PodSpec(doc)["containers"]) {
      for (const char* probe : {"startupProbe", "readinessProbe", "livenessProbe"}) {
        if (c[probe] && c[probe]["grpc"]) ++grpc_probes;
      }
    }
  }
  EXPECT_EQ(workloads, 3);  // coordinator StatefulSet, worker Deployment, worker Job
  EXPECT_GE(grpc_probes, 2) << "the coordinator's probes should use grpc.health.v1";
}

}  // namespace
