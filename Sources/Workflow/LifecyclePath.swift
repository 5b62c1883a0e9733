extension FilingLifecycle {
    /// The shortest run of events `actor` may cause that takes a filing from `status` to `target`
    /// (empty when it is there already), or nil when the table has no such run. Progress sync uses
    /// it to replay the steps the platform took while the kiosk was not asking, one audited step at
    /// a time (accepted → inProgress → concluded.approved: startHandling, conclude.approved).
    public static func path(from status: FilingStatus, to target: FilingStatus, by actor: FilingActor) -> [FilingEvent]? {
        if status == target { return [] }
        var reached: [FilingStatus: [FilingEvent]] = [status: []]
        var frontier = [status]
        while !frontier.isEmpty {
            var next: [FilingStatus] = []
            for current in frontier {
                let route = reached[current] ?? []
                for event in FilingEvent.all {
                    guard let after = try? FilingLifecycle.next(from: current, on: event, by: actor), reached[after] == nil else { continue }
                    reached[after] = route + [event]
                    if after == target { return route + [event] }
                    next.append(after)
                }
            }
            frontier = next
        }
        return nil
    }
}
