// libyaml (config.yaml parser), as Swift sees it.
#ifndef CYAML_SHIM_H
#define CYAML_SHIM_H
#include <yaml.h>
#endif
