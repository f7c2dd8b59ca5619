// LISTEN/NOTIFY and server notices.
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::testing::DatabaseTest;

// Long enough for any notification already sent to arrive; it only bounds a failing test.
constexpr auto kArrivalLimit = 10s;

class ConnectionNotify : public DatabaseTest {};

TEST_F(ConnectionNotify, NotificationFromAnotherSessionArrives) {
  auto listener = connect();
  auto notifier = connect();
  listener.listen("orders");
  notifier.notify("orders", "order 42 created");
  const auto notification = listener.wait_for_notification(kArrivalLimit);
  ASSERT_TRUE(notification.has_value());
  EXPECT_EQ(notification->channel, "orders");
  EXPECT_EQ(notification->payload, "order 42 created");
  EXPECT_EQ(notification->backend_pid, notifier.backend_pid());
}

TEST_F(ConnectionNotify, WaitTimesOutWithNothing) {
  auto listener = connect();
  listener.listen("quiet");
  EXPECT_EQ(listener.wait_for_notification(50ms), std::nullopt);
  EXPECT_EQ(listener.wait_for_notification(0ms), std::nullopt);
  EXPECT_THROW((void)listener.wait_for_notification(-1ms), pgkit::InterfaceError);
}

TEST_F(ConnectionNotify, OnlyListenedChannelsArriveAndUnlistenStops) {
  auto listener = connect();
  auto notifier = connect();
  listener.listen("wanted");
  notifier.notify("unwanted", "no");
  notifier.notify("wanted", "yes");
  const auto first = listener.wait_for_notification(kArrivalLimit);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->channel, "wanted");
  EXPECT_EQ(first->payload, "yes");
  listener.unlisten("wanted");
  notifier.notify("wanted", "too late");
  // A round trip on the listener makes sure anything the server would have sent has been read.
  EXPECT_EQ(listener.query_value<int>("SELECT 1"), 1);
  EXPECT_TRUE(listener.take_notifications().empty());
}

TEST_F(ConnectionNotify, TakeNotificationsReturnsThoseReceivedMeanwhile) {
  auto conn = connect();
  conn.listen("self");
  // A session's own notifications are delivered when its transaction commits, before the command returns.
  conn.notify("self", "one");
  conn.notify("self", "two");
  conn.exec("SELECT 1");
  const auto notifications = conn.take_notifications();
  ASSERT_EQ(notifications.size(), 2U);
  EXPECT_EQ(notifications[0].payload, "one");
  EXPECT_EQ(notifications[1].payload, "two");
  EXPECT_EQ(notifications[0].backend_pid, conn.backend_pid());
  EXPECT_TRUE(conn.take_notifications().empty());
}

TEST_F(ConnectionNotify, ChannelNamesAreQuotedIdentifiers) {
  auto listener = connect();
  auto notifier = connect();
  // Case and spaces survive because the name is quoted, never pasted.
  const std::string channel = "Mixed Case; DROP TABLE x";
  listener.listen(channel);
  notifier.notify(channel, "quoted");
  const auto notification = listener.wait_for_notification(kArrivalLimit);
  ASSERT_TRUE(notification.has_value());
  EXPECT_EQ(notification->channel, channel);
}

TEST_F(ConnectionNotify, InvalidChannelNamesAreRefused) {
  auto conn = connect();
  const std::string too_long(64, 'c');
  EXPECT_THROW(conn.listen(""), pgkit::InterfaceError);
  EXPECT_THROW(conn.listen(too_long), pgkit::InterfaceError);
  EXPECT_THROW(conn.notify(""), pgkit::InterfaceError);
  EXPECT_THROW(conn.notify(too_long, "payload"), pgkit::InterfaceError);
  EXPECT_THROW(conn.unlisten(""), pgkit::InterfaceError);
  EXPECT_NO_THROW(conn.listen(std::string(63, 'c')));
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ConnectionNotify, NoticeHandlerReceivesRaiseNotice) {
  auto conn = connect();
  std::vector<pgkit::Diagnostics> notices;
  conn.set_notice_handler([&](const pgkit::Diagnostics& d) { notices.push_back(d); });
  conn.exec("DO $$BEGIN RAISE NOTICE 'hello %', 42 USING HINT = 'a hint'; END$$");
  ASSERT_EQ(notices.size(), 1U);
  EXPECT_EQ(notices[0].message_primary, "hello 42");
  EXPECT_EQ(notices[0].severity, "NOTICE");
  EXPECT_EQ(notices[0].sqlstate, "00000");
  EXPECT_EQ(notices[0].hint, "a hint");
  conn.set_notice_handler(nullptr);
  conn.exec("DO $$BEGIN RAISE NOTICE 'dropped'; END$$");
  EXPECT_EQ(notices.size(), 1U);
}

TEST_F(ConnectionNotify, ThrowingNoticeHandlerDoesNotBreakTheConnection) {
  auto conn = connect();
  int calls = 0;
  conn.set_notice_handler([&](const pgkit::Diagnostics&) {
    ++calls;
    throw std::runtime_error("handler failure");
  });
  EXPECT_NO_THROW(conn.exec("DO $$BEGIN RAISE WARNING 'careful'; END$$"));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ConnectionNotify, WaitWithTheLargestTimeoutWaitsForTheNotification) {
  auto listener = connect();
  listener.listen("eventually");
  std::thread notifier_thread([&] {
    auto notifier = connect();
    notifier.exec("SELECT pg_sleep(0.2)");  // gives the listener time to start waiting; not required
    notifier.notify("eventually", "arrived");
  });
  const auto notification = listener.wait_for_notification(std::chrono::milliseconds::max());
  notifier_thread.join();
  ASSERT_TRUE(notification.has_value());
  EXPECT_EQ(notification->payload, "arrived");
}

TEST_F(ConnectionNotify, WaitOnATerminatedSessionRaisesConnectionLost) {
  auto listener = connect();
  listener.listen("doomed");
  auto admin = connect();
  const int pid = listener.backend_pid();
  ASSERT_TRUE(admin.query_value<bool>("SELECT pg_terminate_backend($1)", pid));
  ASSERT_TRUE(pgkit::testing::eventually(
      [&] { return !admin.query_value<bool>("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)", pid); }));
  EXPECT_THROW((void)listener.wait_for_notification(kArrivalLimit), pgkit::ConnectionLost);
  EXPECT_FALSE(listener.is_open());
  EXPECT_THROW((void)listener.take_notifications(), pgkit::ConnectionLost);
}

}  // namespace
