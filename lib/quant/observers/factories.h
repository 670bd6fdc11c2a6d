// SPDX-License-Identifier: Apache-2.0
// The factory of each observer, one per file in this folder; observer_registry.cpp lists them.
// (Calling them from the registry, rather than self-registering from static initialisers, keeps
// the linker from dropping an observer's object file out of the static library.)
#pragma once

#include <memory>

#include "quant/observer.h"

namespace qf {

std::unique_ptr<Observer> make_min_max_observer(const ObserverOptions& options);
std::unique_ptr<Observer> make_moving_average_observer(const ObserverOptions& options);
std::unique_ptr<Observer> make_mse_observer(const ObserverOptions& options);
std::unique_ptr<Observer> make_entropy_observer(const ObserverOptions& options);
std::unique_ptr<Observer> make_percentile_observer(const ObserverOptions& options);
std::unique_ptr<Observer> make_sqnr_observer(const ObserverOptions& options);

}  // namespace qf
