// Package deploy holds Vigil's deployment files: the Dockerfile, compose
// files for a single-node and a three-node Elasticsearch, Kubernetes
// manifests under k8s/, and their documentation (CONFIG.md, SCALING.md,
// CAPACITY.md). It has no code; its test validates the files against
// CONFIG.md.
package deploy
